"""/.well-known metadata (OIDC Discovery 1.0 §4, RFC 8414 §3): public and cacheable."""

from flask import Blueprint, jsonify

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
