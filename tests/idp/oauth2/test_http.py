"""The protocol's request and response objects (idp.oauth2.http)."""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from werkzeug.datastructures import Headers, MultiDict

from idp.oauth2.http import JSONError, OAuthRequest, dispatch, error_response, safe_text

FORM = Headers({"Content-Type": "application/x-www-form-urlencoded"})


def _request(**form) -> OAuthRequest:
    return OAuthRequest("POST", "https://idp.example.fr/token", FORM, MultiDict(), MultiDict(form))


def test_has_every_attribute_of_authlib_s_request():
    """OAuthRequest sets Authlib's attributes itself; an Authlib upgrade adding one fails here."""
    authlib = OAuth2Request("POST", "https://idp.example.fr/token", headers={})
    ours = _request()
    assert set(vars(authlib)) - {"payload"} <= set(vars(ours))
    set_by_us = ("method", "uri", "headers", "payload")
    assert all(getattr(ours, name) is None for name in vars(authlib) if name not in set_by_us)


def test_payload_sees_query_and_body_and_repeats():
    request = OAuthRequest(
        "POST", "https://idp.example.fr/token", Headers(), MultiDict([("a", "1")]),
        MultiDict([("b", "2"), ("b", "3")]),
    )  # fmt: skip
    assert request.payload.data["a"] == "1"
    assert request.payload.datalist["b"] == ["2", "3"]
    assert request.repeated_parameters() == ["b"]


@pytest.mark.parametrize("text", ['quote "', "back\\slash", "accent é", "nul \x00", "tab\t"])
def test_safe_text_keeps_descriptions_renderable(text):
    error = InvalidRequestError(safe_text(text))
    assert error_response(error).status == 400


def test_json_error_carries_extra_members_and_headers():
    response = error_response(
        JSONError(503, "temporarily_unavailable", 'down "now"', [("Retry-After", "5")], x=1)
    )
    assert response.status == 503
    assert response.header("Retry-After") == "5"
    assert response.header("Cache-Control") == "no-store"
    assert b'"x":1' in response.body and b"down ?now?" in response.body


def test_dispatch_renders_what_the_endpoint_raises():
    def endpoint(_request):
        raise InvalidRequestError("nope")

    response = dispatch(endpoint, _request())
    assert (response.status, response.header("Content-Type")) == (400, "application/json")
