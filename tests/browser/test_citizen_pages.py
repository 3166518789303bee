"""A citizen's journey in Chromium: sign-in, consent, the demo service, declining, the account
page and withdrawal, errors, the English switch and keyboard-only use; axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Citizen
from tests.browser.flows import (
    DEMO_SERVICE,
    SECOND_ACCOUNT,
    choose,
    demo_claims,
    expected_consent,
    focus_is_visible,
    shown_consent,
    sign_in,
    start_demo,
    tab_to,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

#: A demo citizen of both the hub and its second identity provider (``idp seed-demo``).
MARIE = Citizen("marie.dupont", "demo-password-2026", "Marie Claire Dupont")


def test_sign_in_consent_and_verified_claims(page: Page, citizen, idp_server, audit):
    start_demo(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Je choisis un compte pour me connecter")
    expect(page.locator(".service-name")).to_have_text(DEMO_SERVICE)
    expect(page.get_by_role("button", name=f"Se connecter avec {SECOND_ACCOUNT}")).to_be_enabled()
    audit(page, "chooser")
    choose(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    expect(page.locator(".service-name")).to_have_text(DEMO_SERVICE)
    audit(page, "login")

    sign_in(page, citizen)
    expect(page).to_have_url(re.compile(r"/consent$"))
    expect(page.locator(".identity")).to_contain_text("Vous allez vous connecter en tant que")
    expect(page.locator(".identity__name")).to_have_text(citizen.display_name)
    expect(page.locator(".lead .service-name")).to_have_text(DEMO_SERVICE)
    shown = shown_consent(page)
    assert shown == expected_consent("fr")
    assert shown[0][0] == "Informations récupérées depuis : FranceConnect"
    assert {"Prénom(s)", "Nom de naissance"} <= set(shown[0][1])
    audit(page, "consent")

    page.get_by_role("button", name="Autoriser et continuer").click()
    expect(page).to_have_url(re.compile(r"/demo/callback\?"))
    claims = demo_claims(page)
    assert claims["iss"] == idp_server.url
    assert claims["given_name"] == "Louise Marie"
    assert claims["family_name"] == "Lefèvre"
    expect(page.locator("#userinfo")).to_contain_text('"birthdate": "1979-06-21"')
    expect(page.locator("#demo-error")).to_have_count(0)
    audit(page, "demo-result")


def test_wrong_password_is_announced(page: Page, citizen, audit):
    page.goto("/login?next=/account")
    sign_in(page, citizen, password="not the password")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(page.locator("#form-error")).to_be_focused()  # focus moved to it (waits for the script)
    expect(page.get_by_label("Mot de passe")).to_have_attribute("aria-invalid", "true")
    audit(page, "login-error")

    sign_in(page, citizen)
    expect(page).to_have_url(re.compile(r"/account$"))


def test_declining_returns_access_denied_to_the_service(page: Page, citizen, audit):
    start_demo(page)
    choose(page)
    sign_in(page, citizen)
    page.get_by_role("button", name="Refuser").click()
    expect(page).to_have_url(re.compile(r"/demo/callback\?error=access_denied"))
    expect(page.get_by_role("alert")).to_contain_text("Vous avez refusé de transmettre vos données")
    expect(page.locator("#demo-error")).to_contain_text("access_denied")
    expect(page.locator("#id-token-claims")).to_have_count(0)
    audit(page, "demo-declined")


def test_account_withdrawal_and_consent_asked_again(page: Page, citizen, audit):
    start_demo(page)
    choose(page)
    sign_in(page, citizen)
    page.get_by_role("button", name="Autoriser et continuer").click()
    demo_claims(page)

    page.get_by_role("link", name="Mes échanges de données").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    card = page.locator(".exchanges .card")
    expect(card).to_have_count(1)
    expect(card.get_by_role("heading", level=2)).to_have_text(DEMO_SERVICE)
    expect(card).to_contain_text("Prénom(s)")
    expect(card).to_contain_text("Revenu fiscal de référence")
    expect(card).not_to_contain_text("Aucune pour le moment")  # tokens were issued
    audit(page, "account")

    card.get_by_role("button", name=re.compile("Retirer mon autorisation")).click()
    withdrawn = f"Votre autorisation pour « {DEMO_SERVICE} » est retirée"
    expect(page.get_by_role("status")).to_contain_text(withdrawn)
    expect(page.locator(".exchanges .card")).to_have_count(0)
    history = page.locator(".connections .card")
    expect(history).to_have_count(1)  # the connection stays in the history
    expect(history.get_by_role("heading", level=3)).to_have_text(DEMO_SERVICE)
    audit(page, "account-withdrawn")

    start_demo(page)  # still signed in: straight to the consent, asked again
    expect(page).to_have_url(re.compile(r"/consent$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Autoriser la transmission de vos données")


def test_account_requires_sign_in(page: Page, citizen):
    page.goto("/account")
    expect(page.locator(".lead")).to_contain_text("Connectez-vous pour consulter vos échanges de données")
    choose(page)
    expect(page).to_have_url(re.compile(r"/login\?next=/account$"))
    expect(page.locator(".lead")).to_contain_text("Connectez-vous pour consulter vos échanges de données")
    sign_in(page, citizen)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes échanges de données")
    expect(page.get_by_text("Vous n’avez autorisé aucun service")).to_be_visible()


def test_unknown_client_page_explains_what_to_do(page: Page, audit):
    response = page.goto(
        "/authorize?response_type=code&client_id=no-such-service&scope=openid"
        "&redirect_uri=https://service.example.fr/callback&state=s"
    )
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Service inconnu")
    expect(page.get_by_role("heading", name="Que faire ?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Retournez sur le site du service")
    audit(page, "error-unknown-client")


def test_bad_request_page(page: Page, audit):
    response = page.goto("/consent")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("Aucune connexion en cours")
    audit(page, "error-no-pending-request")


def test_english_switch(page: Page, citizen, audit):
    start_demo(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("I choose an account to sign in with")
    audit(page, "chooser-en")
    choose(page, button="Sign in with {}")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    audit(page, "login-en")

    sign_in(page, citizen, button="Sign in", username_label="Username", password_label="Password")
    expect(page.locator(".identity")).to_contain_text("You are about to sign in as")
    shown = shown_consent(page)
    assert shown == expected_consent("en")
    assert "Given name(s)" in shown[0][1]
    audit(page, "consent-en")

    page.get_by_role("button", name="Allow and continue").click()
    demo_claims(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Demonstration service")
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("My data sharing")
    audit(page, "account-en")

    page.get_by_role("link", name="Français").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes échanges de données")


def test_keyboard_only_sign_in_and_consent(page: Page, citizen):
    page.goto("/demo/")
    tab_to(page, "button[type=submit]")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/identity-providers$"))

    tab_to(page, ".button--provider")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login$"))

    tab_to(page, "#username")
    assert focus_is_visible(page)
    page.keyboard.type(citizen.username)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(citizen.password)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/consent$"))

    tab_to(page, "button[value=accept]")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    assert demo_claims(page)["given_name"] == "Louise Marie"


def test_sign_in_through_the_second_identity_provider(page: Page, audit):
    """The demo's second identity provider (another idp, on localhost): its own sign-in and
    consent, then the hub's consent, the service's result, and the history on /account."""
    start_demo(page)
    choose(page, SECOND_ACCOUNT)
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/login$"))
    sign_in(page, MARIE)
    page.get_by_role("button", name="Autoriser et continuer").click()  # at the upstream, for the hub
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/consent$"))
    expect(page.locator(".identity__provider")).to_have_text(f"avec le compte {SECOND_ACCOUNT}")
    page.get_by_role("button", name="Autoriser et continuer").click()
    claims = demo_claims(page)
    assert claims["given_name"] == "Marie Claire" and claims["acr"] == "eidas1"

    page.goto("/account")
    history = page.locator(".connections .card").first
    expect(history).to_contain_text(DEMO_SERVICE)
    expect(history).to_contain_text(SECOND_ACCOUNT)
    expect(history).to_contain_text("Faible")
    expect(history).to_contain_text("Revenu fiscal de référence")
    audit(page, "history")


def test_not_you_signs_out_and_goes_back_to_the_chooser(page: Page, citizen):
    start_demo(page)
    choose(page)
    sign_in(page, citizen)
    expect(page).to_have_url(re.compile(r"/consent$"))
    page.get_by_role("button", name="Ce n’est pas vous ? Changer de compte").click()
    expect(page).to_have_url(re.compile(r"/identity-providers$"))
    expect(page.locator(".service-name")).to_have_text(DEMO_SERVICE)  # the request is kept
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/identity-providers\?next=/account$"))  # signed out
