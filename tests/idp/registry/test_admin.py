"""Registry services: merge import (idempotent, all-or-nothing), export round trip, one-scope
changes under the namespace rule, and deletion refused while something holds the key."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from idp.extensions import db
from idp.models import AccessTokenRecord, Client, Habilitation, RefreshToken, User
from idp.registry import admin as registry_admin
from idp.registry import transfer as registry_import
from idp.registry.admin import Actor, ManagementForbidden, ScopeConflict, ScopeNotFound
from idp.registry.transfer import BUNDLED_REGISTRY as REGISTRY_FILE
from scopes import RegistryValidationError, ScopeDefinition, parse_registry_document
from tests.conftest import template_registry_document
from tests.idp.conftest import make_client

OPERATOR = Actor("operator", "operator")
DGFIP = Actor("dgfip-client", "data-provider", "dgfip")
BUNDLED = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def a_scope(key: str = "dgfip_nouvelle_donnee", provider: str = "dgfip", **fields) -> ScopeDefinition:
    return ScopeDefinition(key=key, provider=provider, labels={"fr": "Nouvelle donnée"}, **fields)


# --- import / export ---------------------------------------------------------------------
def test_importing_the_same_document_again_changes_nothing(ctx):
    report = registry_import.import_document(BUNDLED)
    assert not report.changed
    stored = template_registry_document()
    assert report.unchanged == len(stored["providers"]) + len(stored["scopes"])


def test_export_round_trips_with_import(app, ctx, tmp_path):
    exported = registry_import.export_document()
    assert parse_registry_document(exported) == parse_registry_document(template_registry_document())
    assert not registry_import.import_document(exported).changed


def test_import_reports_what_it_created_and_updated(ctx):
    document = copy.deepcopy(BUNDLED)
    document["scopes"][1]["label"]["fr"] = "Prénoms"
    changed_key = document["scopes"][1]["key"]
    document["scopes"].append(
        {"key": "dgfip_nouvelle_donnee", "provider": "dgfip", "label": {"fr": "Nouvelle"}}
    )
    report = registry_import.import_document(document)
    assert (report.created, report.updated) == (["dgfip_nouvelle_donnee"], [changed_key])
    assert registry_admin.get_scope(changed_key).label("fr") == "Prénoms"


def test_import_merges_and_keeps_entries_it_does_not_mention(ctx):
    document = {
        "format": "scope-registry/1",
        "providers": [],
        "scopes": [{"key": "cnous_bourse", "provider": "cnous", "label": {"fr": "Statut boursier"}}],
    }
    registry_import.import_document(document)
    keys = [s.key for s in registry_admin.list_scopes()]
    assert "dgfip_rfr" in keys and "cnous_bourse" in keys


def test_invalid_import_applies_nothing_and_lists_every_problem(ctx):
    before = registry_import.export_document()
    document = {
        "format": "scope-registry/1",
        "providers": [
            {"slug": "urssaf", "namespace": "urssaf", "label": "Urssaf", "kind": "data"},
            {"slug": "impots", "namespace": "dgfip", "label": "Doublon", "kind": "data"},
            {"slug": "x" * 80, "namespace": "longslug", "label": "Long", "kind": "data"},
        ],
        "scopes": [
            {"key": "urssaf_valide", "provider": "urssaf", "label": {"fr": "Valide"}},
            {"key": "urssaf_Invalide", "provider": "urssaf", "label": {"fr": "Invalide"}},
            {"key": "urssaf_allemand", "provider": "urssaf", "label": {"fr": "A", "de": "B"}},
            {"key": "urssaf_sans_label", "provider": "urssaf", "label": {"en": "No French"}},
            {"key": "inconnu_x", "provider": "inconnu", "label": {"fr": "X"}},
        ],
    }
    with pytest.raises(RegistryValidationError) as raised:
        registry_import.import_document(document)
    problems = {(error.path, error.rule) for error in raised.value.errors}
    assert problems == {
        ("providers[1].namespace", "namespace_taken"),
        ("providers[2].slug", "too_long"),
        ("scopes[1].key", "key_format"),
        ("scopes[2].label.de", "label_language"),
        ("scopes[3].label.fr", "missing_label"),
        ("scopes[4].provider", "unknown_provider"),
    }
    assert registry_import.export_document() == before


def test_import_can_move_namespaces_between_providers(ctx):
    document = copy.deepcopy(BUNDLED)
    providers = {p["slug"]: p for p in document["providers"]}
    providers["cnam"]["namespace"], providers["cnous"]["namespace"] = "cnous", "cnam"
    for scope in document["scopes"]:
        if scope["provider"] in ("cnam", "cnous"):
            scope["provider"] = "cnous" if scope["provider"] == "cnam" else "cnam"
    report = registry_import.import_document(document)
    assert report.changed
    exported = registry_import.export_document()
    assert {p["slug"]: p["namespace"] for p in exported["providers"]}["cnam"] == "cnous"


# --- one scope -----------------------------------------------------------------------------
def test_data_provider_creates_updates_and_deprecates_in_its_namespace(ctx):
    registry_admin.create_scope(DGFIP, a_scope())
    registry_admin.update_scope(DGFIP, "dgfip_nouvelle_donnee", {"group": "Revenus"})
    deprecated = registry_admin.deprecate_scope(DGFIP, "dgfip_nouvelle_donnee")
    assert deprecated.deprecated_since == datetime.now(UTC).date() or deprecated.deprecated_since
    assert registry_admin.get_scope("dgfip_nouvelle_donnee").group == "Revenus"


@pytest.mark.parametrize(
    "change",
    [
        lambda: registry_admin.create_scope(DGFIP, a_scope("cnaf_x", "cnaf")),
        lambda: registry_admin.create_scope(DGFIP, a_scope("cnaf_x", "dgfip")),
        lambda: registry_admin.update_scope(DGFIP, "cnaf_quotient_familial", {"group": "x"}),
        lambda: registry_admin.update_scope(DGFIP, "dgfip_rfr", {"provider": "cnaf"}),
        lambda: registry_admin.delete_scope(DGFIP, "cnaf_quotient_familial"),
    ],
)
def test_data_provider_outside_its_namespace_is_forbidden(ctx, change):
    before = registry_import.export_document()
    with pytest.raises(ManagementForbidden):
        change()
    assert registry_import.export_document() == before


def test_existing_key_conflicts_and_unknown_key_is_not_found(ctx):
    with pytest.raises(ScopeConflict):
        registry_admin.create_scope(DGFIP, a_scope("dgfip_rfr"))
    with pytest.raises(ScopeNotFound):
        registry_admin.update_scope(OPERATOR, "dgfip_absent", {"group": "x"})
    with pytest.raises(ScopeNotFound):
        registry_admin.delete_scope(OPERATOR, "dgfip_absent")


def test_created_scope_reaches_clients_whose_habilitation_already_approved_it(app, ctx):
    sp = make_client(app)
    db.session.add(
        Habilitation(
            id=7,
            definition="api_impot_particulier",
            state="validated",
            active=True,
            scopes=["dgfip_nouvelle_donnee"],
            approved_scopes=["dgfip_nouvelle_donnee"],
            client_id=sp.client_id,
        )
    )
    db.session.commit()
    registry_admin.create_scope(DGFIP, a_scope())
    client = db.session.scalar(db.select(Client).where(Client.client_id == sp.client_id))
    assert "dgfip_nouvelle_donnee" in client.allowed_scopes


# --- deletion ------------------------------------------------------------------------------
def _habilitation(**fields):
    return Habilitation(id=1, definition="api_impot_particulier", state="validated", **fields)


def _access(**fields):
    values = {
        "jti": "j1",
        "client_id": "sp",
        "scope": "openid dgfip_rfr",
        "expires_at": datetime.now(UTC) + timedelta(minutes=5),
    }
    values.update(fields)
    return AccessTokenRecord(**values)


def _refresh(user_id, **fields):
    now = datetime.now(UTC)
    values = {
        "token_hash": "h" * 64,
        "client_id": "sp",
        "user_id": user_id,
        "grant_id": "g",
        "scope": "openid dgfip_rfr offline_access",
        "auth_time": now,
        "acr": "eidas1",
        "expires_at": now + timedelta(days=1),
    }
    values.update(fields)
    return RefreshToken(**values)


PAST = datetime.now(UTC) - timedelta(minutes=1)
HOLDERS = {
    "requested-by-habilitation": (lambda uid: _habilitation(scopes=["dgfip_rfr"], approved_scopes=[]), True),
    "approved-by-habilitation": (lambda uid: _habilitation(scopes=[], approved_scopes=["dgfip_rfr"]), True),
    "live-access-token": (lambda uid: _access(), True),
    "live-refresh-token": (lambda uid: _refresh(uid), True),
    "expired-access-token": (lambda uid: _access(expires_at=PAST), False),
    "revoked-access-token": (lambda uid: _access(revoked_at=PAST), False),
    "used-refresh-token": (lambda uid: _refresh(uid, used_at=PAST), False),
    "other-key-with-same-prefix": (lambda uid: _access(scope="openid dgfip_rfr_bis"), False),
    "habilitation-of-other-key": (
        lambda uid: _habilitation(scopes=["dgfip_rfrx"], approved_scopes=[]),
        False,
    ),
}


@pytest.mark.parametrize("holder", HOLDERS, ids=list(HOLDERS))
def test_delete_is_refused_while_something_holds_the_key(ctx, citizen, holder):
    make, holds = HOLDERS[holder]
    user_id = db.session.scalar(db.select(User.id).where(User.username == citizen))
    db.session.add(make(user_id))
    db.session.commit()
    if holds:
        with pytest.raises(ScopeConflict, match="deprecate it instead"):
            registry_admin.delete_scope(OPERATOR, "dgfip_rfr")
        assert registry_admin.get_scope("dgfip_rfr")
        registry_admin.deprecate_scope(OPERATOR, "dgfip_rfr")
    else:
        registry_admin.delete_scope(OPERATOR, "dgfip_rfr")
        with pytest.raises(ScopeNotFound):
            registry_admin.get_scope("dgfip_rfr")


def test_a_deleted_key_leaves_every_operator_override(app, ctx):
    """Deleted, then created again under the same key: the old override allows nothing."""
    sp = make_client(app, operator_scope_override=["openid", "dgfip_rfr"])
    registry_admin.delete_scope(OPERATOR, "dgfip_rfr")
    client = db.session.scalar(db.select(Client).where(Client.client_id == sp.client_id))
    assert client.operator_scope_override == ["openid"]
    assert "dgfip_rfr" not in client.allowed_scopes
    registry_admin.create_scope(OPERATOR, a_scope("dgfip_rfr"))
    db.session.refresh(client)
    assert "dgfip_rfr" not in client.allowed_scopes


# --- fuzz ----------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = {
    "providers": ["slug", "namespace", "label", "kind", "label_en", "extra"],
    "scopes": ["key", "provider", "label", "claims", "group", "description", "legacy", "deprecated_since"],
}


@st.composite
def mutated_documents(draw):
    """The bundled registry with a few fields replaced, removed or entries added."""
    document = copy.deepcopy(BUNDLED)
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["providers", "scopes"]))
        action = draw(st.sampled_from(["replace", "remove", "add", "copy"] + ["relabel", "new"] * 2))
        entries = document[name]
        if action == "new":  # valid: a new key of the cnous namespace
            suffix = draw(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True))
            label = draw(st.text(min_size=1, max_size=20).filter(str.strip))
            document["scopes"].append({"key": f"cnous_{suffix}", "provider": "cnous", "label": {"fr": label}})
            continue
        if action == "relabel":  # valid: another French label
            entry = document["scopes"][draw(st.integers(0, len(document["scopes"]) - 1))]
            entry["label"] = {"fr": draw(st.text(min_size=1, max_size=20).filter(str.strip))}
            continue
        if action == "add":
            entries.append(draw(st.dictionaries(st.sampled_from(FIELDS[name]), json_values, max_size=6)))
            continue
        entry = entries[draw(st.integers(0, len(entries) - 1))]
        if action == "copy":
            entries.append(copy.deepcopy(entry) | {FIELDS[name][0]: draw(st.text(max_size=12))})
        elif action == "remove":
            entry.pop(draw(st.sampled_from(FIELDS[name])), None)
        else:
            value = draw(json_values | st.sampled_from(["dgfip", "cnaf", "data", "identity", "2030-01-01"]))
            entry[draw(st.sampled_from(FIELDS[name]))] = value
    shape = draw(st.sampled_from(["document"] * 8 + ["bad-format", "any-json"]))
    if shape == "bad-format":
        return document | {"format": draw(json_values)}
    return document if shape == "document" else draw(json_values)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=mutated_documents())
def test_import_fuzz_is_all_or_nothing_and_idempotent(ctx, document):
    before = registry_import.export_document()
    try:
        registry_import.import_document(document)
    except RegistryValidationError as invalid:
        event("rejected")
        assert invalid.errors and all(error.rule for error in invalid.errors)
        assert registry_import.export_document() == before
        return
    event("accepted")
    after = registry_import.export_document()
    assert not registry_import.import_document(document).changed
    assert not registry_import.import_document(after).changed
