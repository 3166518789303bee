"""/identity-providers, the chooser, and /login when the operator disables providers.

A provider whose discovery document cannot be had is shown unavailable and the others are
offered (idp.citizens.federation.metadata; DESIGN.md: "A 500 is a bug"); a disabled
provider, the local store included, is offered nowhere.
"""

from __future__ import annotations

import re

import pytest

from tests.idp.citizens.federation.conftest import add_provider, providers_cli
from tests.idp.conftest import CodeFlow, csrf_token, make_client

START_FORM = re.compile(r'<form method="post" action="/identity-providers/([a-z0-9-]+)/start')
DISABLED_BUTTON = re.compile(r"<button[^>]*\bdisabled\b[^>]*>([^<]*)</button>")


def offered_names(html: str) -> list[str]:
    """The providers the page offers a working button for."""
    return START_FORM.findall(html)


def disabled_buttons(html: str) -> list[str]:
    return [label.strip() for label in DISABLED_BUTTON.findall(html)]


def to_chooser(flow: CodeFlow):
    """A service's authorization request, followed to the chooser."""
    response = flow.http.get("/authorize", query_string=flow.authorize_params())
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    assert response.headers["Location"].startswith("/identity-providers")
    return flow.http.get(response.headers["Location"])


@pytest.fixture
def unreachable(runner) -> str:
    """A provider whose discovery URL has nothing listening (the loopback discard port)."""
    add_provider(runner, "impots", title="impots.gouv.fr")
    return "impots"


def test_an_unreachable_provider_is_shown_unavailable_and_the_others_offered(flow, unreachable):
    page = to_chooser(flow)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert offered_names(html) == ["local"]
    assert disabled_buttons(html) == ["Se connecter avec impots.gouv.fr"]
    again = to_chooser(flow)  # the failure is remembered, the page still answers
    assert again.status_code == 200 and offered_names(again.get_data(as_text=True)) == ["local"]


def test_starting_with_an_unavailable_provider_is_a_clear_503(flow, unreachable):
    html = to_chooser(flow).get_data(as_text=True)
    response = flow.http.post(
        f"/identity-providers/{unreachable}/start", data={"csrf_token": csrf_token(html)}
    )
    assert response.status_code == 503
    assert "impots.gouv.fr" in response.get_data(as_text=True)


def test_the_only_provider_unavailable_is_still_a_page_not_a_500(client, runner, unreachable):
    """With the local store disabled the chooser has one provider, which is down."""
    assert providers_cli(runner, "disable", "local").exit_code == 0
    page = client.get("/identity-providers?next=/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert offered_names(html) == []
    assert disabled_buttons(html) == ["Se connecter avec impots.gouv.fr"]


def test_a_disabled_local_store_is_offered_nowhere(client, runner, citizen, unreachable):
    token = csrf_token(client.get("/login").get_data(as_text=True))  # this session's, while there is a form
    assert providers_cli(runner, "disable", "local").exit_code == 0
    assert client.get("/login").status_code == 404
    assert client.get("/login?next=/account").status_code == 404
    html = client.get("/identity-providers").get_data(as_text=True)
    assert "local" not in offered_names(html)
    assert "Identifiant et mot de passe" not in html
    assert client.post("/identity-providers/local/start", data={"csrf_token": token}).status_code == 404
    assert client.post("/login", data={"username": citizen, "csrf_token": token}).status_code == 404

    assert providers_cli(runner, "enable", "local").exit_code == 0
    assert client.get("/login").status_code == 200
    assert offered_names(client.get("/identity-providers").get_data(as_text=True)) == ["local"]


def test_inactive_and_hidden_providers_are_not_on_the_chooser(flow, runner, unreachable):
    add_provider(runner, "ameli", "--inactive", title="ameli.fr")
    add_provider(runner, "msa", "--hidden", title="MSA")
    html = to_chooser(flow).get_data(as_text=True)
    assert "ameli.fr" not in html and "MSA" not in html
    assert disabled_buttons(html) == ["Se connecter avec impots.gouv.fr"]


def test_the_chooser_follows_the_service_filter(app, client, citizen, unreachable):
    """FranceConnect's ``idpFilterList``: a service offering only impots never shows the local store."""
    sp = make_client(app, identity_providers=["impots"])
    token = csrf_token(client.get("/login").get_data(as_text=True))  # before the service's request
    html = to_chooser(CodeFlow(client, sp)).get_data(as_text=True)
    assert offered_names(html) == []
    assert disabled_buttons(html) == ["Se connecter avec impots.gouv.fr"]
    assert client.get("/login").status_code == 404
    assert client.post("/identity-providers/local/start", data={"csrf_token": token}).status_code == 404
