"""Every route, fuzzed with Hypothesis: no 5xx, except a real 503 with ``Retry-After``.

Each example picks a route of the application's URL map and a method it allows, fills its
path variables, and sends query parameters, a body (form, JSON or raw bytes) and headers
drawn from the protocol's vocabulary and from hostile text: control characters, quotes,
non-ASCII, huge numbers, long values. Bounded in time by ``max_examples``.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NAMES = [
    "response_type", "client_id", "client_secret", "redirect_uri", "scope", "state", "nonce", "prompt",
    "max_age", "acr_values", "login_hint", "code_challenge", "code_challenge_method", "grant_type", "code",
    "code_verifier", "refresh_token", "token", "token_type_hint", "client_assertion", "client_assertion_type",
    "id_token_hint", "post_logout_redirect_uri", "access_token", "username", "password", "decision",
    "csrf_token", "next", "request", "request_uri", "response_mode", "claims", "provider",
]  # fmt: skip
HOSTILE = st.sampled_from(
    [
        '"',
        "\\",
        "\x00",
        "\x7f",
        "é",
        "%",
        "%zz",
        "%00",
        "\r\n",
        "a" * 5000,
        "9" * 30,
        "-1",
        "1e309",
        "[]",
        "{}",
    ]
)
TEXT = st.one_of(
    HOSTILE, st.text(max_size=40), st.sampled_from(["code", "openid", "S256", "client_credentials"])
)
PARAMS = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), TEXT, max_size=6)


def _header_value(text: str) -> str:
    """What an HTTP header can carry at all (no line break): the test client refuses the rest."""
    return text.replace("\r", "").replace("\n", "")


def _authorization(kind: str, text: str) -> dict:
    if kind == "basic":
        return {"Authorization": "Basic " + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()}
    if kind == "bearer":
        return {"Authorization": "Bearer " + _header_value(text.encode("ascii", "replace").decode())}
    if kind == "garbage":
        return {"Authorization": _header_value(text.encode("latin-1", "replace").decode("latin-1"))}
    return {}


REQUEST = st.fixed_dictionaries(
    {
        "route": st.integers(min_value=0, max_value=10_000),
        "method": st.integers(min_value=0, max_value=10),
        "path_value": st.one_of(
            HOSTILE, st.text(min_size=1, max_size=20), st.integers(-(2**70), 2**70).map(str)
        ),
        "query": PARAMS,
        "body_kind": st.sampled_from(["form", "json", "raw", "none"]),
        "body": PARAMS,
        "raw": st.binary(max_size=200),
        "auth_kind": st.sampled_from(["none", "basic", "bearer", "garbage"]),
        "auth_text": TEXT,
        "accept": st.sampled_from([None, "application/json", "application/token-introspection+jwt", "*/*"]),
    }
)


def _routes(app) -> list[tuple[str, list[str]]]:
    return sorted(
        (rule.rule, sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    )


def _path(rule: str, value: str) -> str:
    path = rule
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        path = path[:start] + quote(value, safe="") + path[end + 1 :]
    return path


@settings(
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=REQUEST)
def test_no_route_answers_a_server_error(app, client, drawn):
    routes = _routes(app)
    rule, methods = routes[drawn["route"] % len(routes)]
    method = methods[drawn["method"] % len(methods)]
    headers = _authorization(drawn["auth_kind"], drawn["auth_text"])
    if drawn["accept"]:
        headers["Accept"] = drawn["accept"]
    options: dict = {"query_string": drawn["query"], "headers": headers}
    if method != "GET":
        if drawn["body_kind"] == "form":
            options["data"] = drawn["body"]
        elif drawn["body_kind"] == "json":
            options["data"] = json.dumps(drawn["body"])
            options["content_type"] = "application/json"
        elif drawn["body_kind"] == "raw":
            options["data"] = drawn["raw"]
            options["content_type"] = "application/x-www-form-urlencoded"
    response = client.open(_path(rule, drawn["path_value"]), method=method, **options)
    if response.status_code == 503:
        assert response.headers.get("Retry-After"), (rule, method)
    else:
        assert response.status_code < 500, (rule, method, drawn, response.get_data(as_text=True)[:500])
