"""/.well-known metadata and /jwks: public, cacheable, no database work per request."""

from flask import Blueprint, jsonify

from idp import keystore
from idp.extensions import csrf
from idp.oauth2.discovery import provider_metadata

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
    response = jsonify(keystore.public_jwks())
    response.headers["Cache-Control"] = "public, max-age=60"
    response.content_type = "application/jwk-set+json"
    return response
