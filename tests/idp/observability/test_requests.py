"""The middleware in front of both adapters (idp.observability.requests): the request id,
one log line per request, the request metrics; the same whichever adapter answers."""

from __future__ import annotations

import io
import json
import logging

import pytest

from idp.observability.request_ids import accepted_or_new
from idp.telemetry.logs import JSONFormatter, RequestFields

ADAPTERS = [{"LEAN_ENDPOINTS": True}, {"LEAN_ENDPOINTS": False}]
LEAN = pytest.mark.parametrize("app_settings", ADAPTERS, ids=["lean", "flask"])


def request_lines(caplog) -> list[dict]:
    return [record.fields for record in caplog.records if record.name == "idp.request"]


@pytest.mark.parametrize(
    ("presented", "kept"),
    [
        ("7f0c1e6a-2b1d-4c55-9b8e-0d4f1c2a3b4c", True),
        ("nginx-Root=1-5f84c7a3/abc+def.gh~i:j", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("two words", False),
        ('quote"injection', False),
        ("line\r\nbreak", False),
        ("", False),
        ("é", False),
    ],
)
def test_a_request_id_is_kept_only_when_short_and_safe(presented, kept):
    chosen = accepted_or_new(presented)
    assert (chosen == presented) is kept
    if not kept:
        assert len(chosen) == 32 and int(chosen, 16) >= 0


@LEAN
def test_the_request_id_comes_back_and_is_in_the_log_line(client, app, caplog):
    caplog.set_level(logging.INFO, logger="idp.request")
    answer = client.get("/jwks", headers={"X-Request-Id": "from-the-proxy-1"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "from-the-proxy-1"
    generated = client.get("/jwks", headers={"X-Request-Id": "no spaces allowed"}).headers["X-Request-Id"]
    assert generated != "no spaces allowed" and len(generated) == 32
    first, second = request_lines(caplog)
    assert {key: first[key] for key in ("method", "path", "status", "route", "client_id", "request_id")} == {
        "method": "GET", "path": "/jwks", "status": 200, "route": "/jwks", "client_id": None,
        "request_id": "from-the-proxy-1",
    }  # fmt: skip
    assert second["request_id"] == generated
    assert first["duration_ms"] > 0


@LEAN
def test_the_authenticated_client_is_in_the_line_of_its_token_request(client, app, caplog):
    from tests.idp.conftest import make_client

    service = make_client(app)
    caplog.set_level(logging.INFO, logger="idp.request")
    answer = client.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
        auth=(service.client_id, service.client_secret),
    )
    assert answer.status_code == 200, answer.get_json()
    refused = client.post("/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong"))
    assert refused.status_code == 401
    good, bad = request_lines(caplog)
    assert (good["route"], good["status"], good["client_id"]) == ("/token", 200, service.client_id)
    assert (bad["route"], bad["status"], bad["client_id"]) == ("/token", 401, None)


@LEAN
def test_the_client_of_a_bearer_token_is_in_the_line_of_userinfo(client, flow, caplog):
    access_token = flow.tokens()["access_token"]
    caplog.set_level(logging.INFO, logger="idp.request")
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code == 200
    assert client.get("/userinfo", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    known, unknown = request_lines(caplog)
    assert (known["route"], known["status"], known["client_id"]) == ("/userinfo", 200, flow.sp.client_id)
    assert (unknown["status"], unknown["client_id"]) == (401, None)


def test_a_page_logs_its_url_rule_and_its_path_without_the_query(client, caplog, flow):
    caplog.set_level(logging.INFO, logger="idp.request")
    client.get("/authorize", query_string=flow.authorize_params())
    client.get("/identity-providers/nobody/callback", query_string={"code": "a-code-123", "state": "s"})
    client.get("/no/such/page?secret=1")
    authorize, callback, missing = request_lines(caplog)
    assert (authorize["path"], authorize["route"], authorize["client_id"]) == (
        "/authorize", "/authorize", flow.sp.client_id,
    )  # fmt: skip
    assert (callback["path"], callback["route"]) == (
        "/identity-providers/nobody/callback", "/identity-providers/<name>/callback",
    )  # fmt: skip
    assert (missing["path"], missing["route"], missing["status"]) == ("/no/such/page", None, 404)
    assert "a-code-123" not in caplog.text and "secret=1" not in caplog.text


def test_every_log_line_of_a_request_carries_its_id(client, caplog):
    """A line written while the request is served (the DataPass receiver's warning), through
    the handler :func:`idp.telemetry.logs.configure_logging` installs."""
    caplog.set_level(logging.INFO, logger="idp.request")
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JSONFormatter())
    handler.addFilter(RequestFields())
    logging.getLogger("idp").addHandler(handler)
    try:
        client.post("/webhooks/datapass", data=b"{}", headers={"X-Request-Id": "follow-me"})
    finally:
        logging.getLogger("idp").removeHandler(handler)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("idp.datapass.views", "follow-me"),
        ("idp.request", "follow-me"),
    ]
    assert lines[1]["path"] == "/webhooks/datapass" and lines[1]["status"] == 401
