"""/token (RFC 6749 §3.2) and /userinfo (OIDC Core §5.3)."""

from flask import Blueprint, request

from idp.extensions import csrf
from idp.oauth2 import authorization_server
from idp.oauth2.userinfo import userinfo_response

bp = Blueprint("token", __name__)
csrf.exempt(bp)


@bp.post("/token")
def token():
    return authorization_server().create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    return userinfo_response(request)
