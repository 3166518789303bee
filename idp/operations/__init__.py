"""Running the server: the production WSGI server and the housekeeping of expired rows.

- :mod:`.serving`: ``idp serve`` (Granian).
- :mod:`.purge`: ``idp purge-expired``.
- :mod:`.cli`: both commands.
"""
