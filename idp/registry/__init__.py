"""The scope registry as the server stores and serves it (the rules live in ``scopes/``).

- :mod:`.store`: the tables to and from the domain :class:`~scopes.Registry`, and the
  per-process copy every request reads (:func:`~idp.registry.store.registry`).
- :mod:`.admin`: one scope at a time (create, update, deprecate, delete), under the
  namespace rule; every registry write goes through its lock.
- :mod:`.transfer`: import and export of ``scope-registry/1`` documents.
- :mod:`.allowed`: a client's allowed scopes, recomputed from its active habilitations.
- :mod:`.cli`: ``idp scopes``.

The registry API (``/api/v1``) is one of the Flask views: :mod:`idp.views.api`.
"""
