"""The built-in demo, for ``make run``: data to sign in with, and two parties to talk to.

- :mod:`.seed`: ``idp seed-demo``: the registry, two citizens and the demo clients.
- :mod:`.relying_party` and :mod:`.views`: a service provider at ``/demo/`` running the code
  flow against this server over HTTP.
- :mod:`.data_provider`: a stand-in for the DGFiP's API Impôt particulier at ``/demo-api/``,
  checking access tokens through ``/checktoken``.
- :mod:`.cli`: ``idp seed-demo``.
"""
