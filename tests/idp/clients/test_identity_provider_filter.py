"""Which identity providers a service offers: FranceConnect's ``idpFilterList`` with
``idpFilterExclude`` (``idp clients create|update --identity-providers a,b`` /
``--exclude-identity-providers x``, DESIGN.md), and the service's eIDAS level (DESIGN.md,
"Subject": "a service provider's required level decides which identity providers are
offered"), through :func:`idp.citizens.federation.providers.offered`."""

from __future__ import annotations

import json

import pytest

from idp.citizens.federation import providers
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.models import Client
from tests.idp.citizens.federation.conftest import add_provider, providers_cli


def clients_cli(runner, *args: str):
    return runner.invoke(args=["clients", *args])


def offered(app, client_id: str, level: str = "eidas1") -> list[str]:
    with app.app_context():
        client = db.session.scalar(db.select(Client).where(Client.client_id == client_id))
        return [provider.name for provider in providers.offered(client, level)]


def shown(runner, client_id: str) -> dict:
    result = clients_cli(runner, "show", client_id)
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    return {key: view[key] for key in ("identity_providers", "excluded_identity_providers")}


@pytest.fixture
def federation(runner) -> None:
    """Besides the local store (eidas1): one provider per level."""
    add_provider(runner, "impots", "--eidas-level", "eidas1")
    add_provider(runner, "ameli", "--eidas-level", "eidas1", "--eidas-level", "eidas2")
    add_provider(runner, "fcplus", "--eidas-level", "eidas3")


@pytest.fixture
def service(runner, federation) -> str:
    result = clients_cli(
        runner, "create", "--name", "Service", "--redirect-uri", "https://sp.example.fr/cb", "--json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["client_id"]


def test_without_a_filter_every_active_provider_is_offered(app, runner, service):
    assert shown(runner, service) == {"identity_providers": None, "excluded_identity_providers": None}
    assert offered(app, service) == ["local", "impots", "ameli", "fcplus"]


def test_a_list_offers_only_those(app, runner, service):
    result = clients_cli(runner, "update", service, "--identity-providers", "impots, ameli", "--json")
    assert result.exit_code == 0, result.output
    assert shown(runner, service) == {
        "identity_providers": ["ameli", "impots"],
        "excluded_identity_providers": None,
    }
    assert offered(app, service) == ["impots", "ameli"]


def test_an_exclusion_offers_all_but_those(app, runner, service):
    result = clients_cli(runner, "update", service, "--exclude-identity-providers", "local,fcplus")
    assert result.exit_code == 0, result.output
    assert shown(runner, service) == {
        "identity_providers": None,
        "excluded_identity_providers": ["fcplus", "local"],
    }
    assert offered(app, service) == ["impots", "ameli"]


@pytest.mark.parametrize("option", ["--identity-providers", "--exclude-identity-providers"])
def test_an_empty_list_lifts_the_filter(app, runner, service, option):
    assert clients_cli(runner, "update", service, "--identity-providers", "impots").exit_code == 0
    assert offered(app, service) == ["impots"]
    assert clients_cli(runner, "update", service, option, "").exit_code == 0
    assert shown(runner, service) == {"identity_providers": None, "excluded_identity_providers": None}
    assert offered(app, service) == ["local", "impots", "ameli", "fcplus"]


def test_a_new_filter_replaces_the_old_one(app, runner, service):
    assert clients_cli(runner, "update", service, "--identity-providers", "impots").exit_code == 0
    assert clients_cli(runner, "update", service, "--exclude-identity-providers", "impots").exit_code == 0
    assert offered(app, service) == ["local", "ameli", "fcplus"]


def test_create_takes_the_filter_too(app, runner, federation):
    result = clients_cli(runner, "create", "--name", "S", "--identity-providers", "fcplus", "--json")
    assert result.exit_code == 0, result.output
    client_id = json.loads(result.output)["client_id"]
    assert shown(runner, client_id)["identity_providers"] == ["fcplus"]
    assert offered(app, client_id, "eidas3") == ["fcplus"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--identity-providers", "impots,nowhere"], "unknown identity providers: nowhere"),
        (["--exclude-identity-providers", "Impots"], "unknown identity providers: Impots"),
        (
            ["--identity-providers", "impots", "--exclude-identity-providers", "ameli"],
            "cannot be combined",
        ),
    ],
)
def test_unknown_names_and_both_options_are_refused(app, runner, service, options, message):
    assert clients_cli(runner, "update", service, "--identity-providers", "ameli").exit_code == 0
    result = clients_cli(runner, "update", service, *options)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert shown(runner, service) == {"identity_providers": ["ameli"], "excluded_identity_providers": None}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("eidas1", ["local", "impots", "ameli", "fcplus"]),
        ("eidas2", ["ameli", "fcplus"]),
        ("eidas3", ["fcplus"]),
    ],
)
def test_only_providers_reaching_the_level_are_offered(app, service, level, expected):
    """eIDAS levels are ordered eidas1 < eidas2 < eidas3: a provider reaching a higher one
    serves a service asking for a lower one, never the reverse (the local store reaches
    IDP_LOCAL_LOGIN_ACR, eidas1 here)."""
    assert offered(app, service, level) == expected


def test_inactive_providers_are_not_offered_and_hidden_ones_are(app, runner, service):
    """Hidden providers answer an ``idp_hint``; inactive ones nothing."""
    assert providers_cli(runner, "disable", "impots").exit_code == 0
    assert providers_cli(runner, "disable", "local").exit_code == 0
    assert providers_cli(runner, "update", "ameli", "--hidden").exit_code == 0
    assert offered(app, service) == ["ameli", "fcplus"]
    assert clients_cli(runner, "update", service, "--identity-providers", "impots,ameli").exit_code == 0
    assert offered(app, service) == ["ameli"]


def test_a_provider_named_by_a_filter_cannot_be_deleted(app, runner, service):
    """Deleting it would leave the name in the filter: an allow-list naming only it would
    offer nothing, and a provider added later under that name would inherit the filter."""
    assert clients_cli(runner, "update", service, "--identity-providers", "impots").exit_code == 0
    refused = providers_cli(runner, "delete", "impots")
    assert refused.exit_code == 2, refused.output
    assert service in refused.output
    assert offered(app, service) == ["impots"]
    assert clients_cli(runner, "update", service, "--identity-providers", "").exit_code == 0
    assert providers_cli(runner, "delete", "impots").exit_code == 0
    with app.app_context():
        assert find_client(service) is not None
