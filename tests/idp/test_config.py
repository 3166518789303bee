"""Unsafe or malformed settings fail at boot with the variable named (idp.config)."""

from __future__ import annotations

import pytest

from idp import create_app
from idp.config import ConfigurationError
from idp.hotpath import LeanPath


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"LEAN_ENDPOINTS": 0}, "IDP_LEAN_ENDPOINTS must be true or false"),
        ({"LEAN_ENDPOINTS": "false"}, "IDP_LEAN_ENDPOINTS must be true or false"),
        ({"ACCESS_TOKEN_LIFETIME": "soon"}, "IDP_ACCESS_TOKEN_LIFETIME must be an integer"),
        ({"AUTHORIZATION_CODE_LIFETIME": 3600}, "IDP_AUTHORIZATION_CODE_LIFETIME above 600 s"),
        ({"ISSUER": "http://idp.example.fr"}, "IDP_ISSUER must use https"),
        ({"SMTP_SECURITY": "ssl"}, "IDP_SMTP_SECURITY must be one of starttls, tls, none"),
        ({"SMTP_SECURITY": ""}, "IDP_SMTP_SECURITY must be one of starttls, tls, none"),
        ({"SMTP_PORT": 0}, "IDP_SMTP_PORT"),
        ({"SMTP_TIMEOUT": "slow"}, "IDP_SMTP_TIMEOUT must be an integer"),
        ({"CONNECTION_HISTORY_DAYS": 0}, "IDP_CONNECTION_HISTORY_DAYS"),
        ({"BODY_READ_TIMEOUT": 0}, "IDP_BODY_READ_TIMEOUT must be positive"),
        ({"HEADER_READ_TIMEOUT": 61}, "IDP_HEADER_READ_TIMEOUT must be at most 60 seconds"),
    ],
)
def test_bad_settings_fail_at_boot(tmp_path, override, named):
    with pytest.raises(ConfigurationError, match=named):
        create_app({"INSTANCE_PATH": str(tmp_path), **override})


def test_lean_endpoints_false_from_the_environment_leaves_everything_to_flask(tmp_path, monkeypatch):
    monkeypatch.setenv("IDP_LEAN_ENDPOINTS", "false")  # JSON-decoded by Flask, as documented
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["LEAN_ENDPOINTS"] is False
    assert not isinstance(app.wsgi_app.wsgi_app, LeanPath)  # behind idp.observability.requests
    monkeypatch.delenv("IDP_LEAN_ENDPOINTS")
    assert isinstance(create_app({"INSTANCE_PATH": str(tmp_path)}).wsgi_app.wsgi_app, LeanPath)


def test_mail_from_defaults_to_no_reply_at_the_issuer_host(tmp_path):
    """Connection alerts come from ``ne-pas-repondre@<issuer host>`` unless IDP_MAIL_FROM says."""
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ISSUER": "https://idp.example.gouv.fr:8443/fc"})
    assert app.config["MAIL_FROM"] == "ne-pas-repondre@idp.example.gouv.fr"
    chosen = create_app({"INSTANCE_PATH": str(tmp_path), "MAIL_FROM": "alertes@example.gouv.fr"})
    assert chosen.config["MAIL_FROM"] == "alertes@example.gouv.fr"


def test_smtp_settings_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IDP_SMTP_HOST", "smtp.example.gouv.fr")
    monkeypatch.setenv("IDP_SMTP_PORT", "465")
    monkeypatch.setenv("IDP_SMTP_SECURITY", "tls")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    settings = (app.config["SMTP_HOST"], app.config["SMTP_PORT"], app.config["SMTP_SECURITY"])
    assert settings == ("smtp.example.gouv.fr", 465, "tls")
    monkeypatch.setenv("IDP_SMTP_SECURITY", "TLS")
    with pytest.raises(ConfigurationError, match="IDP_SMTP_SECURITY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
