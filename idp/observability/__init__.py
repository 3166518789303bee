"""Observability: what an operator watches (issue 16, "Observability").

Two levels, so that nothing imports upwards (``ARCHITECTURE.md``):

- what the features call, one line where a thing happens, importing nothing of theirs:
  :mod:`.context` (the current request's id, route and client), :mod:`.logs` (the JSON
  log format and :func:`~.logs.audit`), :mod:`.metrics` (the Prometheus metrics and one
  function per event);
- what :func:`idp.create_app` wires: :mod:`.requests` (the WSGI middleware in front of both
  adapters: request id, request log line, request metrics), :mod:`.readiness` (the checks
  ``/readyz`` and ``idp check`` share), :mod:`.exposition` (``/metrics``: the token, the
  multiprocess collector, the separate port) and :mod:`.views` (``/healthz``, ``/readyz``,
  ``/metrics``).
"""
