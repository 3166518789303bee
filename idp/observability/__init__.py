"""Observability: what an operator watches (issue 16, "Observability"), wired by
:func:`idp.create_app`: :mod:`.requests` (the WSGI middleware in front of both adapters:
request id, request log line, request metrics), :mod:`.readiness` (the checks ``/readyz``
and ``idp check`` share), :mod:`.exposition` (``/metrics``: the token, the multiprocess
collector, the separate port), :mod:`.audit_trail` (the committed audit rows, logged) and
:mod:`.views` (``/healthz``, ``/readyz``, ``/metrics``).

What the features call where a thing happens is below every room: :mod:`idp.telemetry`.
"""
