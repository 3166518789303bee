"""/account, "Mes échanges de données": the services a citizen consented to, withdrawal,
and the history of their connections (:mod:`idp.citizens.history`).

Withdrawing a consent revokes it and the tokens issued under it (:func:`withdraw_consent`);
the next sign-in to that service asks for consent again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from idp.citizens.consents import withdraw_consent
from idp.citizens.history import recent_connections
from idp.citizens.sessions import current_login
from idp.clients.lookup import find_client
from idp.extensions import db
from idp.i18n import current_language
from idp.models import Consent
from idp.oauth2.scope_policy import still_allowed
from idp.registry.store import registry
from scopes import consent_groups

bp = Blueprint("account", __name__, url_prefix="/account")


def _active_consents(user_id: int) -> list[Consent]:
    return list(
        db.session.scalars(
            db.select(Consent)
            .where(Consent.user_id == user_id, Consent.revoked_at.is_(None))
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


def _service_name(client_id: str) -> str:
    client = find_client(client_id)
    return client.name if client is not None else _("Service supprimé (%(id)s)", id=client_id)


def _exchange(consent: Consent, current_registry, lang: str) -> dict:
    """A consent as the citizen sees it: only the data its service may still receive.

    Scopes whose habilitation was revoked or archived are no longer shown as shared.
    """
    client = find_client(consent.client_id)
    valid = still_allowed(client, consent.scope) if client is not None else []
    return {
        "consent": consent,
        "service": _service_name(consent.client_id),
        "groups": consent_groups(current_registry, valid, lang),
    }


@bp.get("")
def index():
    login = current_login()
    if login is None:
        return redirect(url_for("identity_providers.choose", next=url_for("account.index")), code=303)
    lang = current_language()
    current_registry = registry()
    exchanges = [_exchange(consent, current_registry, lang) for consent in _active_consents(login.user_id)]
    connections = [
        {"event": event, "groups": consent_groups(current_registry, event.scope.split(), lang)}
        for event in recent_connections(login.user_id)
    ]
    return render_template(
        "account.html",
        user=login.user,
        exchanges=exchanges,
        connections=connections,
        eidas_names=_eidas_names(),
    )


def _eidas_names() -> dict[str, str]:
    """eIDAS assurance levels as FranceConnect names them to citizens (Regulation 910/2014 art. 8)."""
    return {"eidas1": _("Faible"), "eidas2": _("Substantiel"), "eidas3": _("Élevé")}


@bp.post("/consents/<row_id:consent_id>/withdraw")
def withdraw(consent_id: int):
    """POST only, with the CSRF token (CSRFProtect is global)."""
    login = current_login()
    if login is None:
        return redirect(url_for("identity_providers.choose", next=url_for("account.index")), code=303)
    consent = db.session.get(Consent, consent_id)
    service = _service_name(consent.client_id) if consent is not None else ""
    if not withdraw_consent(login.user_id, consent_id):
        abort(404, description="no such active consent")
    flash(
        _(
            "Votre autorisation pour « %(service)s » est retirée. Ce service devra vous la "
            "redemander à votre prochaine connexion.",
            service=service,
        )
    )
    return redirect(url_for("account.index"), code=303)
