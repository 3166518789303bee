"""A small example data provider: a stand-in for the DGFiP's API Impôt particulier.

It answers made-up tax figures for the demo citizens, found by their pivot identity, and
checks every access token the two ways a real data provider can: locally, against the
provider's ``/jwks`` (RFC 9068 §4), and remotely, through ``/checktoken``, which also says
whether the token was revoked and which of the DGFiP's scopes it still carries.
"""
