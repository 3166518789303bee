"""Running the server: the production WSGI server, the housekeeping of expired rows, and the
checks an operator runs before starting it.

- :mod:`.serving`: ``idp serve`` (Granian); :mod:`.preflight`, what it checks first.
- :mod:`.buffering`, :mod:`.app_threads`, :mod:`.scheduling`: how each worker reads bodies,
  runs the application, and schedules its threads.
- :mod:`.purge`: ``idp purge-expired``.
- :mod:`.check`: ``idp check``.
- :mod:`.cli`: the commands.
"""
