"""OAuth clients: service providers, data providers and operators.

- :mod:`.lookup`: finding a client, with the read-only per-process copy the machine
  endpoints authenticate against; client ids and secrets.
- :mod:`.admin`: creating, changing and describing clients (RFC 7591 metadata rules).
- :mod:`.cli`: ``idp clients``.
"""
