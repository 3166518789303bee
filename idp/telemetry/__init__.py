"""Telemetry: what the features call, one line where a thing happens (issue 16,
"Observability"), importing nothing of theirs, so that every room may call it.

:mod:`.context` (the current request's id, route and client), :mod:`.logs` (the JSON log
format and :func:`~.logs.audit`), :mod:`.metrics` (the Prometheus metrics and one function
per event). What an operator reads of them (the request middleware, ``/metrics``,
``/readyz``) is :mod:`idp.observability`, wired by :func:`idp.create_app`.
"""
