"""What this server asks of other servers over HTTP: JSON documents and key sets, bounded.

- :mod:`.documents`: one GET of a JSON document, with a timeout, a size limit and no
  redirect (a client's ``jwks_uri``, an identity provider's discovery document).
- :mod:`.jwks`: key sets kept for a while and fetched again, rate-limited, for an unknown
  ``kid``.
"""
