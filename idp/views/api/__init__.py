"""The scope registry API (``/api/v1``): its blueprint, exempt from CSRF (bearer tokens, no cookies)."""

from idp.extensions import csrf
from idp.views.api.views import bp

csrf.exempt(bp)

__all__ = ["bp"]
