"""The scope registry API (``/api/v1``): its blueprint, exempt from CSRF (bearer tokens, no cookies)."""

from idp.api.views import bp
from idp.extensions import csrf

csrf.exempt(bp)

__all__ = ["bp"]
