"""Citizen pages: languages (French default, Accept-Language, the switch), security headers and
cookies (RFC 9700 §4.16, OWASP), session renewal at sign-in, and human error pages."""

from __future__ import annotations

import pytest

from idp.views.pending import PENDING_KEY
from tests.idp.conftest import PASSWORD, CodeFlow, csrf_token


@pytest.mark.parametrize(
    ("accept_language", "lang", "heading"),
    [
        (None, "fr", "<h1>Se connecter</h1>"),
        ("fr-FR,fr;q=0.9", "fr", "<h1>Se connecter</h1>"),
        ("en-GB,en;q=0.8", "en", "<h1>Sign in</h1>"),
        ("de-DE", "fr", "<h1>Se connecter</h1>"),
        ("de-DE,en;q=0.5", "en", "<h1>Sign in</h1>"),
    ],
    ids=["none", "french", "english", "unsupported", "english-second"],
)
def test_language_follows_accept_language_with_french_default(client, accept_language, lang, heading):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    html = client.get("/login", headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert heading in html


def test_switch_overrides_accept_language_and_comes_back(client):
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'href="/lang/en?next=/login" lang="en" hreflang="en">English</a>' in page
    response = client.get("/lang/en?next=/login", headers={"Accept-Language": "fr"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html
    assert 'href="/lang/fr?next=/login" lang="fr" hreflang="fr">Français</a>' in html


def test_switch_keeps_the_query_of_the_page(client):
    html = client.get("/login?next=/account").get_data(as_text=True)
    assert 'href="/lang/en?next=/login?next%3D/account"' in html
    response = client.get("/lang/en?next=/login%3Fnext%3D/account")
    assert response.headers["Location"] == "/login?next=/account"


@pytest.mark.parametrize(
    "next_value",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", None],
    ids=["absolute", "scheme-relative", "backslash", "javascript", "empty", "missing"],
)
def test_switch_never_redirects_off_site(client, next_value):
    query = {"next": next_value} if next_value is not None else {}
    response = client.get("/lang/en", query_string=query)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_switch_to_an_unknown_language_is_a_404(client):
    assert client.get("/lang/xx?next=/login").status_code == 404


def test_language_choice_survives_sign_in(flow: CodeFlow):
    flow.http.get("/lang/en?next=/login")
    flow.login()
    html = flow.http.get("/account").get_data(as_text=True)
    assert "<h1>My data sharing</h1>" in html


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    html = response.get_data(as_text=True)
    assert "<script" not in html and "style=" not in html  # nothing the CSP would block


def test_session_cookie_is_httponly_and_lax(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # http loopback issuer


@pytest.mark.parametrize("app_settings", [{"ISSUER": "https://idp.example.fr"}])
def test_session_cookie_is_secure_behind_https(client):
    assert "Secure" in client.get("/login").headers["Set-Cookie"]


def test_session_is_renewed_at_sign_in_keeping_the_pending_request(flow: CodeFlow):
    flow.http.get("/authorize", query_string=flow.authorize_params())
    flow.http.get("/login")
    with flow.http.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["sid"] = "attacker-chosen-session-id"
        pending = session[PENDING_KEY]
        old_csrf = session["csrf_token"]
    response = flow.login()
    assert response.headers["Location"].startswith("/authorize?")
    with flow.http.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"] != "attacker-chosen-session-id"
        assert session[PENDING_KEY] == pending
        assert session.get("csrf_token") != old_csrf


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/authorize?response_type=code&client_id=nobody&scope=openid", 400, "Service inconnu"),
        ("/authorize", 400, "La demande est incorrecte"),
        ("/consent", 400, "Aucune connexion en cours"),
        ("/no-such-page", 404, "Page introuvable"),
    ],
    ids=["unknown-client", "bad-request", "no-pending-request", "not-found"],
)
def test_error_pages_explain_what_to_do(client, path, status, heading):
    response = client.get(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in html
    assert "Que faire ?" in html
    assert html.count("<h1>") == 1


def test_error_page_in_english(client):
    response = client.get(
        "/authorize?response_type=code&client_id=nobody&scope=openid", headers={"Accept-Language": "en"}
    )
    html = response.get_data(as_text=True)
    assert "<h1>Unknown service</h1>" in html
    assert "What can you do?" in html


def test_expired_form_is_explained(client, citizen):
    response = client.post("/login", data={"username": citizen, "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 400
    assert "le formulaire a expiré" in response.get_data(as_text=True)


def test_login_page_names_the_service(flow: CodeFlow):
    flow.http.get("/authorize", query_string=flow.authorize_params())
    html = flow.http.get("/login").get_data(as_text=True)
    assert 'Pour accéder au service : <strong class="service-name">Portail test</strong>' in html
    assert csrf_token(html)


def test_the_home_page_says_what_the_service_is(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Connexion sécurisée aux services publics en ligne</h1>" in html
    assert 'href="/account"' in html and 'href="/demo/"' in html
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Secure sign-in to online public services</h1>" in english
