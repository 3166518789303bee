"""``idp habilitations import|list|show|link|audit``."""

from __future__ import annotations

import json

import pytest

from idp.extensions import db
from idp.models import Client, Habilitation
from tests.idp.datapass.conftest import deliver, sample


def import_file(tmp_path, *names: str) -> str:
    path = tmp_path / "habilitations.json"
    path.write_text(json.dumps([sample(name)["data"] for name in names]), encoding="utf-8")
    return str(path)


def run(runner, *args: str):
    return runner.invoke(args=["habilitations", *args])


def test_import_applies_the_webhook_rules_and_is_idempotent(app, runner, tmp_path):
    path = import_file(tmp_path, "approve-france-connect", "approve-api-impot-particulier")
    first = run(runner, "import", path)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "2 created, 0 updated, 0 unchanged, 0 skipped older"
    again = run(runner, "import", path)
    assert again.output.strip() == "0 created, 0 updated, 2 unchanged, 0 skipped older"
    with app.app_context():
        (client,) = db.session.scalars(db.select(Client)).all()
        assert {"dgfip_rfr", "openid"} <= set(client.allowed_scopes)
        assert {h.client_id for h in db.session.scalars(db.select(Habilitation))} == {client.client_id}

    listed = json.loads(run(runner, "list", "--json").output)
    assert [(h["id"], h["definition"], h["active"]) for h in listed] == [
        (4242, "france_connect", True),
        (5150, "api_impot_particulier", True),
    ]


def test_import_never_undoes_a_newer_webhook(app, client, runner, tmp_path):
    assert deliver(client, sample("approve-france-connect")).status_code == 200
    assert deliver(client, sample("approve-api-impot-particulier")).status_code == 200
    assert deliver(client, sample("revoke-api-impot-particulier")).status_code == 200
    # An export taken before the revocation: its snapshot is older than the last delivery.
    result = run(runner, "import", import_file(tmp_path, "approve-api-impot-particulier"))
    assert result.output.strip() == "0 created, 0 updated, 0 unchanged, 1 skipped older"
    with app.app_context():
        assert db.session.get(Habilitation, 5150).active is False


TYPES = (
    "api_droits_cnam, api_impot_particulier, api_impot_particulier_sandbox, "
    "api_indemnites_journalieres_cnam, api_particulier, france_connect"
)
FRANCE_CONNECT = sample("approve-france-connect")["data"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "the file must hold a JSON array of DataPass habilitation objects"),
        ("not json", "not a JSON document: Expecting value: line 1 column 1 (char 0)"),
        ('[{"id": "x"}]', "item 0: id: Not a valid integer."),
        ("[7]", "item 0: Invalid input type."),
        (
            '[{"id": 3, "state": "validated"}]',
            "item 0 (habilitation 3): no authorizations[].definition_id nor type",
        ),
        (
            json.dumps([FRANCE_CONNECT, {**FRANCE_CONNECT, "id": 9, "authorizations": [{"id": True}]}]),
            "item 1 (habilitation 9): authorizations[0].id: must be an identifier "
            "(a number or a string of 1 to 64 characters)",
        ),
        (
            json.dumps([{**FRANCE_CONNECT, "data": {"scopes": [1, 2]}}]),
            "item 0 (habilitation 4242): data.scopes[0]: Not a valid string. (and 1 more)",
        ),
        (
            json.dumps([{"id": 12, "type": "AuthorizationRequest::APIEntreprise"}]),
            f"item 0 (habilitation 12): unknown habilitation type 'api_entreprise' "
            f"(this server takes {TYPES})",
        ),
    ],
    ids=[
        "object",
        "not-json",
        "bad-id",
        "not-an-object",
        "no-type",
        "bad-nested-field",
        "two-bad",
        "unknown-type",
    ],
)
def test_import_names_the_file_and_the_item_and_applies_nothing(app, runner, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run(runner, "import", str(path))
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: {message}\n"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Habilitation.id))) == 0
        assert db.session.scalar(db.select(db.func.count(Client.id))) == 0


def test_show_list_and_audit(app, client, runner):
    client_id = deliver(client, sample("approve-france-connect")).get_json()["token_id"]
    deliver(client, sample("approve-api-impot-particulier"))
    deliver(client, sample("revoke-api-impot-particulier"))

    shown = json.loads(run(runner, "show", "5150").output)
    assert (shown["state"], shown["active"], shown["client_id"]) == ("revoked", False, client_id)
    assert shown["organization"] == {"name": "COMMUNE DE MONTREUIL", "siret": "21930048000015"}
    assert shown["unknown_scope_keys"] == []
    assert "5150  api_impot_particulier" in run(runner, "list").output

    trail = json.loads(run(runner, "audit", "--habilitation", "5150", "--json").output)
    kinds = [event["kind"] for event in trail]
    assert kinds.count("webhook_delivery") == 2
    tax = ["dgfip_rfr", "dgfip_nbpart", "dgfip_annee_n_moins_1"]
    newest, oldest = (event["detail"] for event in trail if event["kind"] == "allowed_scopes_changed")
    assert (oldest["added"], newest["removed"]) == (tax, tax)
    by_client = json.loads(run(runner, "audit", "--client", client_id, "--json").output)
    assert {event["client_id"] for event in by_client} == {client_id}
    assert {4242, 5150} <= {event["habilitation_id"] for event in by_client}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "999"], "unknown habilitation: 999"),
        (["link", "999", "--client", "x"], "unknown habilitation: 999"),
        (["link", "4242", "--client", "nobody"], "unknown client: nobody"),
        (["link", "4242"], "Missing option '--client'"),
    ],
)
def test_errors_are_clear(client, runner, args, message):
    deliver(client, sample("approve-france-connect"))
    result = run(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
