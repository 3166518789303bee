"""The consent page, reached from /authorize: what the service asks, in the registry's words.

Form contract (DESIGN.md): the buttons ``decision=accept`` and ``decision=deny``, with
``csrf_token``. « Ce n'est pas vous ? » signs out and goes back to the chooser.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from idp.citizens.consents import record_consent
from idp.citizens.federation import providers
from idp.citizens.sessions import current_login, end_login
from idp.clients.lookup import find_client
from idp.i18n import current_language
from idp.registry.store import registry
from idp.views.pending import current_pending, refuse
from scopes import consent_groups

bp = Blueprint("consent", __name__)


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    interaction = current_pending()
    if interaction is None:
        return render_template("error.html", error="no_pending_request"), 400
    login = current_login()
    if login is None:  # the sign-in expired while the page was open: sign in again
        return redirect(url_for("identity_providers.choose"), code=303)
    client = find_client(interaction["client_id"])
    if client is None:
        return render_template("error.html", error="invalid_client"), 400
    scope_keys = interaction["scope"].split()
    if request.method == "POST":
        decision = request.form.get("decision")
        if decision == "accept":
            record_consent(login.user_id, client.client_id, scope_keys)
        elif decision == "deny":
            refuse(interaction)
        else:
            abort(400, description="decision must be accept or deny")
        return redirect(interaction["return_to"], code=303)
    groups = consent_groups(registry(), scope_keys, current_language())
    provider = providers.find(login.identity_provider)
    return render_template(
        "consent.html",
        client=client,
        user=login.user,
        groups=groups,
        provider=provider.title if provider else login.identity_provider,
    )


@bp.post("/consent/not-me")
def not_me():
    """« Ce n'est pas vous ? »: end this sign-in, keep the service's request, choose again."""
    if current_pending() is None:
        return render_template("error.html", error="no_pending_request"), 400
    end_login()
    return redirect(url_for("identity_providers.choose"), code=303)
