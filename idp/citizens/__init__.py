"""Citizens: who signs in, how, and what they agreed to share.

- :mod:`.users`: the local identity store (pivot identity, password).
- :mod:`.passwords`: Argon2id hashing.
- :mod:`.sessions`: sign-in sessions shared by every instance.
- :mod:`.throttle`: slowing password guessing.
- :mod:`.consents`: what a citizen consented to share with each service.
- :mod:`.subject`: pairwise ``sub`` values.
- :mod:`.cli`: ``idp users``.
"""
