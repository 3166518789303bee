"""The built-in demo service provider: a real relying party running the code flow against
this server over HTTP (Authlib's client), then showing the verified ID token and userinfo, and
calling the demo data provider with the access token (which checks it through /checktoken)."""

from __future__ import annotations

import secrets

import jwt
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from idp.demo.relying_party import DEMO_CLIENT_ID, DemoError, verify_id_token

bp = Blueprint("demo", __name__, url_prefix="/demo")
DEMO_SCOPE = "openid given_name family_name birthdate gender birthplace birthcountry email dgfip_rfr"
#: The demo data provider (idp.demo.data_provider), called with the access token like a real API.
DEMO_API_PATH = "/demo-api/impot-particulier/situations"


def _oauth_session(**kwargs) -> OAuth2Session:
    issuer = current_app.config["ISSUER"]
    return OAuth2Session(
        client_id=DEMO_CLIENT_ID,
        token_endpoint_auth_method="none",
        redirect_uri=issuer + url_for("demo.callback"),
        scope=DEMO_SCOPE,
        code_challenge_method="S256",
        leeway=5,  # access tokens live 60 s; Authlib's default leeway (60 s) would expire them at once
        **kwargs,
    )


@bp.get("/")
def index():
    return render_template("demo/index.html", result=session.pop("demo_result", None))


@bp.post("/start")
def start():
    verifier = generate_token(64)
    nonce = secrets.token_urlsafe(16)
    oauth = _oauth_session()
    url, state = oauth.create_authorization_url(
        current_app.config["ISSUER"] + "/authorize", code_verifier=verifier, nonce=nonce
    )
    session["demo_flow"] = {"state": state, "verifier": verifier, "nonce": nonce}
    return redirect(url, code=303)


@bp.get("/callback")
def callback():
    flow = session.pop("demo_flow", None)
    issuer = current_app.config["ISSUER"]
    try:
        if not flow or request.args.get("state") != flow["state"]:
            raise DemoError("state mismatch: start again")
        if request.args.get("iss") != issuer:
            raise DemoError("iss mismatch (RFC 9207)")
        if "error" in request.args:
            return _failed(request.args["error"], request.args.get("error_description", ""))
        oauth = _oauth_session(state=flow["state"])
        token = oauth.fetch_token(
            issuer + "/token", authorization_response=request.url, code_verifier=flow["verifier"]
        )
        claims = verify_id_token(token["id_token"], issuer, DEMO_CLIENT_ID, flow["nonce"])
        userinfo = oauth.get(issuer + "/userinfo", timeout=5).json()
        api = oauth.get(issuer + DEMO_API_PATH, timeout=10)
        result = {
            "id_token": token["id_token"],
            "claims": claims,
            "userinfo": userinfo,
            "access_token_claims": _readable_claims(token["access_token"]),
            "api": {"url": issuer + DEMO_API_PATH, "status": api.status_code, "body": api.json()},
        }
    except DemoError as error:
        return _failed("failed", str(error))
    except Exception as error:
        return _failed("failed", f"{type(error).__name__}: {error}")
    return render_template("demo/index.html", result=result)


def _readable_claims(access_token: str) -> dict | None:
    """What the service can read of its access token: a JWT's claims, or nothing (opaque)."""
    if access_token.count(".") != 2:
        return None
    return jwt.decode(access_token, options={"verify_signature": False})


def _failed(error: str, detail: str):
    """The page a service shows when the connection did not happen: in the citizen's words,
    from the OAuth ``error`` (RFC 6749 §4.1.2.1), with the technical detail aside."""
    return render_template("demo/index.html", result={"error": error, "detail": detail})
