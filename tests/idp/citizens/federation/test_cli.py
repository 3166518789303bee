"""``idp identity-providers``: the identity providers (FranceConnect's FI) as the operator
registers them (DESIGN.md, "Contracts"), driven with the CLI runner on the real database."""

from __future__ import annotations

import json

import pytest

import keys
from idp.extensions import db
from idp.models import IdentityProvider
from tests.idp.citizens.federation.conftest import UNREACHABLE, add_provider, providers_cli

ISSUER = "http://127.0.0.1:5000"
SECRET = "s3cr3t-shared-with-the-provider-0123456789"


def stored(app, name: str) -> IdentityProvider | None:
    with app.app_context():
        provider = db.session.get(IdentityProvider, name)
        if provider is not None:
            db.session.expunge(provider)
        return provider


def names(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(db.select(IdentityProvider.name)))


def test_add_prints_exactly_the_name_and_the_redirect_uri_to_register(runner):
    """The callback is ``<IDP_ISSUER>/identity-providers/<NAME>/callback`` (DESIGN.md)."""
    printed = add_provider(runner, "impots", "--client-secret", SECRET)
    assert printed == {"name": "impots", "redirect_uri": f"{ISSUER}/identity-providers/impots/callback"}


def test_the_secret_is_stored_sealed_and_never_shown(app, runner):
    """The provider's secret is our credential: sealed at rest (AES-256-GCM under
    IDP_KEYS_PASSPHRASE), and ``show``/``list`` say only that there is one."""
    add_provider(runner, "impots", "--client-secret", SECRET)
    provider = stored(app, "impots")
    assert SECRET.encode() not in provider.encrypted_client_secret
    assert keys.decrypt_secret(provider.encrypted_client_secret, app.config["KEYS_PASSPHRASE"]) == SECRET

    shown = providers_cli(runner, "show", "impots")
    assert json.loads(shown.output)["has_client_secret"] is True
    for output in (
        shown.output,
        providers_cli(runner, "list").output,
        providers_cli(runner, "list", "--json").output,
    ):
        assert SECRET not in output
    listed = json.loads(providers_cli(runner, "list", "--json").output)
    assert all("client_secret" not in view and "encrypted_client_secret" not in view for view in listed)


def test_show_gives_what_was_registered(runner):
    add_provider(
        runner, "ameli", "--client-secret", SECRET, "--auth-method", "client_secret_post",
        "--eidas-level", "eidas2", "--eidas-level", "eidas1",
        "--scope", "openid given_name email", "--hidden",
    )  # fmt: skip
    shown = json.loads(providers_cli(runner, "show", "ameli").output)
    assert shown == {
        "name": "ameli",
        "title": "Compte ameli",
        "kind": "oidc",
        "active": True,
        "hidden": True,
        "eidas_levels": ["eidas1", "eidas2"],
        "discovery_url": UNREACHABLE,
        "client_id": "hub-at-ameli",
        "auth_method": "client_secret_post",
        "has_client_secret": True,
        "scope": "openid given_name email",
        "redirect_uri": f"{ISSUER}/identity-providers/ameli/callback",
        "post_logout_redirect_uri": f"{ISSUER}/identity-providers/ameli/logged-out",
    }


def test_private_key_jwt_needs_no_secret_and_show_gives_our_jwks_uri(app, runner):
    """RFC 7523 §2.2: our signing keys authenticate us; the provider finds them at /jwks."""
    add_provider(runner, "laposte", "--auth-method", "private_key_jwt")
    shown = json.loads(providers_cli(runner, "show", "laposte").output)
    assert shown["auth_method"] == "private_key_jwt"
    assert shown["has_client_secret"] is False
    assert shown["jwks_uri"] == f"{ISSUER}/jwks"
    assert stored(app, "laposte").encrypted_client_secret is None


INVALID_ADDS = [
    pytest.param(["--name", "Impots"], "name must match", id="uppercase"),
    pytest.param(["--name", "1impots"], "name must match", id="leading-digit"),
    pytest.param(["--name", "i"], "name must match", id="one-character"),
    pytest.param(["--name", "impots_gouv"], "name must match", id="underscore"),
    pytest.param(["--name", "a" * 33], "name must match", id="33-characters"),
    pytest.param(["--name", "impôts"], "name must match", id="non-ascii"),
    pytest.param(["--name", "local"], "already exists", id="the-built-in-local"),
    pytest.param(
        ["--discovery-url", "http://fi.example.fr/.well-known/openid-configuration"], "https", id="http"
    ),
    pytest.param(["--discovery-url", "https://fi.example.fr/x#frag"], "fragment", id="fragment"),
    pytest.param(["--no-secret"], "client_secret_basic needs --client-secret", id="basic-without-secret"),
    pytest.param(
        ["--no-secret", "--auth-method", "client_secret_post"],
        "client_secret_post needs --client-secret",
        id="post-without-secret",
    ),
    pytest.param(["--scope", "given_name family_name"], "scope must include openid", id="no-openid"),
    pytest.param(["--title", "  "], "title", id="blank-title"),
    pytest.param(["--no-discovery"], "--discovery-url", id="no-discovery-url"),
    pytest.param(["--eidas-level", "eidas4"], "eidas4", id="unknown-level"),
    pytest.param(["--auth-method", "none"], "none", id="auth-method-none"),
    pytest.param(["--client-secret", ""], "client secret must not be empty", id="empty-secret"),
    pytest.param(
        ["--discovery-url", "https://fi.example.fr/" + "x" * 2048], "at most 2048 characters", id="long-url"
    ),
    pytest.param(
        ["--scope", "openid " + " ".join(f"claim_{n}" for n in range(200))],
        "at most 1024 characters",
        id="long-scope",
    ),
]


@pytest.mark.parametrize(("changes", "message"), INVALID_ADDS)
def test_invalid_add_is_a_usage_error_and_stores_nothing(app, runner, changes, message):
    options = {
        "--name": "impots",
        "--title": "impots.gouv.fr",
        "--discovery-url": UNREACHABLE,
        "--client-id": "hub",
        "--client-secret": SECRET,
    }
    flags = [change for change in changes if change in ("--no-secret", "--no-discovery")]
    changes = [change for change in changes if change not in flags]
    extra = []
    for option, value in zip(changes[::2], changes[1::2], strict=True):
        if option in options:
            options[option] = value
        else:
            extra += [option, value]
    if "--no-secret" in flags:
        del options["--client-secret"]
    if "--no-discovery" in flags:
        del options["--discovery-url"]
    before = names(app)
    args = [item for pair in options.items() for item in pair]
    result = providers_cli(runner, "add", *args, *extra, "--json")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert names(app) == before


def test_a_name_is_registered_once(app, runner):
    add_provider(runner, "impots", title="impots.gouv.fr")
    again = providers_cli(
        runner, "add", "--name", "impots", "--title", "Autre", "--discovery-url", UNREACHABLE,
        "--client-id", "other", "--client-secret", SECRET,
    )  # fmt: skip
    assert again.exit_code == 2 and "already exists" in again.output
    assert stored(app, "impots").title == "impots.gouv.fr"


def test_update_changes_only_what_is_given(app, runner):
    add_provider(runner, "impots", "--client-secret", SECRET)
    sealed = stored(app, "impots").encrypted_client_secret
    result = providers_cli(
        runner, "update", "impots", "--eidas-level", "eidas2", "--title", "Impôts", "--json"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["title"], shown["eidas_levels"], shown["client_id"]) == (
        "Impôts",
        ["eidas2"],
        "hub-at-impots",
    )
    assert stored(app, "impots").encrypted_client_secret == sealed


def test_update_to_a_secret_method_needs_a_secret(app, runner):
    add_provider(runner, "laposte", "--auth-method", "private_key_jwt")
    refused = providers_cli(runner, "update", "laposte", "--auth-method", "client_secret_basic")
    assert refused.exit_code == 2 and "needs --client-secret" in refused.output
    assert stored(app, "laposte").auth_method == "private_key_jwt"
    changed = providers_cli(
        runner, "update", "laposte", "--auth-method", "client_secret_basic", "--client-secret", SECRET
    )
    assert changed.exit_code == 0, changed.output
    assert json.loads(providers_cli(runner, "show", "laposte").output)["has_client_secret"] is True


def test_a_bad_update_changes_nothing(app, runner):
    add_provider(runner, "impots")
    refused = providers_cli(runner, "update", "impots", "--title", "Nouveau", "--scope", "email")
    assert refused.exit_code == 2 and "openid" in refused.output
    assert stored(app, "impots").title == "Compte impots"


def test_disable_enable_and_delete(app, runner):
    add_provider(runner, "impots", "--inactive")
    assert stored(app, "impots").active is False
    assert providers_cli(runner, "enable", "impots").exit_code == 0
    assert stored(app, "impots").active is True
    assert providers_cli(runner, "disable", "impots").exit_code == 0
    assert stored(app, "impots").active is False
    assert providers_cli(runner, "delete", "impots").exit_code == 0
    assert stored(app, "impots") is None


@pytest.mark.parametrize(
    "command", [["show"], ["update", "--title", "X"], ["enable"], ["disable"], ["delete"]]
)
def test_an_unknown_provider_is_a_usage_error(runner, command):
    result = providers_cli(runner, command[0], "nowhere", *command[1:])
    assert result.exit_code == 2
    assert "unknown identity provider: nowhere" in result.output


def test_list_shows_the_built_in_local_store_first(runner):
    add_provider(runner, "impots", "--hidden", "--eidas-level", "eidas2")
    listed = json.loads(providers_cli(runner, "list", "--json").output)
    assert [view["name"] for view in listed] == ["local", "impots"]
    assert listed[0] == {
        "name": "local",
        "title": "Identifiant et mot de passe",
        "kind": "local",
        "active": True,
        "hidden": False,
        "eidas_levels": ["eidas1"],  # IDP_LOCAL_LOGIN_ACR
    }
    text = providers_cli(runner, "list").output.splitlines()
    assert text[0].split()[:3] == ["local", "eidas1", "active"]
    assert text[1].split()[:4] == ["impots", "eidas2", "active,", "hidden"]


def test_the_local_store_is_disabled_and_enabled_but_never_deleted(app, runner):
    assert providers_cli(runner, "disable", "local").exit_code == 0
    assert stored(app, "local").active is False
    assert providers_cli(runner, "enable", "local").exit_code == 0
    assert stored(app, "local").active is True
    refused = providers_cli(runner, "delete", "local")
    assert refused.exit_code == 2 and "built in" in refused.output
    assert stored(app, "local") is not None


@pytest.mark.parametrize(
    "option",
    [
        ["--discovery-url", UNREACHABLE],
        ["--client-id", "hub"],
        ["--client-secret", SECRET],
        ["--auth-method", "client_secret_post"],
        ["--scope", "openid email"],
        ["--eidas-level", "eidas3"],
    ],
)
def test_the_local_store_refuses_provider_options(app, runner, option):
    """Its level is IDP_LOCAL_LOGIN_ACR; it has no discovery, client or scope."""
    result = providers_cli(runner, "update", "local", *option)
    assert result.exit_code == 2, result.output
    assert "local identity store" in result.output
    local = stored(app, "local")
    assert (local.discovery_url, local.client_id, local.encrypted_client_secret) == (None, None, None)


def test_the_local_store_takes_a_new_title(runner):
    assert providers_cli(runner, "update", "local", "--title", "Compte local").exit_code == 0
    assert json.loads(providers_cli(runner, "show", "local").output)["title"] == "Compte local"
