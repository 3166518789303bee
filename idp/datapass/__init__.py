"""DataPass habilitations: signed webhooks and imports that decide service providers' scopes.

- :mod:`.signature`: the ``X-Hub-Signature-256`` check.
- :mod:`.schemas`: what a delivery and a habilitation look like (unknown fields ignored).
- :mod:`.events`: the pure rules from an event and a snapshot to a habilitation's standing.
- :mod:`.linking`: which client a habilitation grants its scopes to.
- :mod:`.service`: a delivery stored and applied in one transaction.
- :mod:`.admin`: import, list, show, link and the audit trail (the ``idp habilitations`` CLI).
- :mod:`.views`: ``POST /webhooks/datapass``.
"""
