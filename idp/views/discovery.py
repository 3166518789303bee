"""/.well-known metadata and /jwks: public, cacheable, no database work per request."""

from flask import Blueprint, jsonify

from idp import signing
from idp.extensions import csrf
from idp.oauth2.discovery import JWKS_HEADERS, JWKS_MEDIA_TYPE, provider_metadata

bp = Blueprint("discovery", __name__)
csrf.exempt(bp)


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/oauth-authorization-server")
def metadata():
    response = jsonify(provider_metadata())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/jwks")
def jwks():
    response = jsonify(signing.public_jwks())
    response.headers.update(JWKS_HEADERS)
    response.content_type = JWKS_MEDIA_TYPE
    return response
