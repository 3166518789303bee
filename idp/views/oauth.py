"""The Flask adapter of the protocol: Flask's request in, the endpoint's response out.

:func:`oauth_request` and :func:`flask_response` are the two halves of Authlib's split
(``create_oauth2_request``, ``handle_response``). The machine endpoints of
:data:`idp.oauth2.endpoints.MACHINE_ENDPOINTS` are registered here, each a one-line view;
the lean path (:mod:`idp.hotpath`) serves the same table in front of Flask.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from idp.extensions import csrf
from idp.oauth2.endpoints import MACHINE_ENDPOINTS
from idp.oauth2.http import EndpointResponse, OAuthRequest, dispatch

bp = Blueprint("oauth", __name__)
csrf.exempt(bp)  # machine endpoints: client authentication, no cookies


def oauth_request() -> OAuthRequest:
    """The current Flask request as the protocol sees it."""
    uri = current_app.config["ISSUER"] + request.full_path.rstrip("?")
    return OAuthRequest(request.method, uri, request.headers, request.args, request.form)


def flask_response(response: EndpointResponse) -> Response:
    """The endpoint's response, headers as given (no default content type added)."""
    flask = Response(response.body, status=response.status, headers=response.headers)
    if response.header("Content-Type") is None:
        del flask.headers["Content-Type"]
    return flask


for endpoint in MACHINE_ENDPOINTS:
    bp.add_url_rule(
        endpoint.path,
        endpoint.name,
        lambda answer=endpoint.answer: flask_response(dispatch(answer, oauth_request())),
        methods=list(endpoint.methods),
    )
