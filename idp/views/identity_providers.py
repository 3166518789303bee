"""/identity-providers: the chooser, and the way there and back from an identity provider.

The citizen who must sign in (:class:`idp.oauth2.authorize.Step`) comes to the chooser,
which lists the providers the service offers at the level it requires
(:func:`idp.citizens.federation.providers.offered`); one that is unavailable is shown so, with
the others offered. ``idp_hint`` skips the chooser when it names an offered provider, as
does a single provider; a hint naming another provider shows the chooser, or an error page
when the only provider offered is not the one hinted. The local store goes to ``/login``;
any other provider is sent the code flow (:mod:`idp.citizens.federation.flow`) and
answers at its own callback, ``/identity-providers/<name>/callback`` (one per provider: a
mix-up defence, RFC 9207 §1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from idp.citizens.federation import logout as federated_logout
from idp.citizens.federation import providers
from idp.citizens.federation.flow import FederationError, Pending, begin, complete
from idp.citizens.federation.metadata import available
from idp.citizens.users import citizen_asserted
from idp.clients.lookup import find_client
from idp.models import Client, IdentityProvider
from idp.models.clients import EIDAS_LEVELS
from idp.views.login import start_sign_in
from idp.views.pending import current_pending

log = logging.getLogger(__name__)

bp = Blueprint("identity_providers", __name__, url_prefix="/identity-providers")

#: Where the sign-in sent to an identity provider waits for its answer (the cookie session).
FEDERATION_KEY = "federation"


@dataclass(frozen=True)
class Choice:
    """What the chooser offers: for the pending request's service (None when the citizen
    signs in to see their account), at its level, with its ``idp_hint``."""

    client: Client | None
    offered: list[IdentityProvider]
    level: str
    hint: str | None


def _choice() -> Choice:
    """Without a pending authorization, every active provider at the lowest level."""
    pending = current_pending()
    client = find_client(pending["client_id"]) if pending else None
    level = pending.get("acr", EIDAS_LEVELS[0]) if pending else EIDAS_LEVELS[0]
    if client is None:
        offered = [p for p in providers.all_providers() if p.active and providers.reaches(p, level)]
    else:
        offered = providers.offered(client, level)
    hint = pending["params"].get("idp_hint") if pending else None
    return Choice(client, offered, level, hint)


def _go(provider: IdentityProvider, level: str):
    """Send the citizen to ``provider``: the local form, or the provider's authorization."""
    if provider.kind == providers.LOCAL:
        return redirect(url_for("login.login", next=request.args.get("next")), code=303)
    try:
        url, pending = begin(provider, level)
    except FederationError as problem:
        log.warning("identity provider %s unavailable: %s", provider.name, problem.detail)
        return _page(provider, "identity_provider_unavailable", 503)
    session[FEDERATION_KEY] = pending.as_dict()
    return redirect(url, code=303)


def _page(provider: IdentityProvider | None, error: str, status: int, description: str | None = None):
    """The error page; with a link back to the chooser while an authorization is pending."""
    title = provider.title if provider else None
    chooser = url_for("identity_providers.choose") if current_pending() and provider else None
    page = render_template(
        "error.html", error=error, provider=title, chooser=chooser, description=description
    )
    return page, status


@bp.get("")
def choose():
    choice = _choice()
    hinted = next((p for p in choice.offered if p.name == choice.hint), None)
    if hinted is not None and available(hinted):
        return _go(hinted, choice.level)
    shown = [p for p in choice.offered if not p.hidden]
    if not shown:
        return _page(None, "no_identity_provider", 400)
    if len(shown) == 1 and available(shown[0]):
        if choice.hint and hinted is None:  # not silently elsewhere than the service asked
            return _page(None, "identity_provider_hint", 400)
        return _go(shown[0], choice.level)
    choices = [{"provider": p, "available": available(p)} for p in shown]
    return render_template(
        "choose_provider.html", choices=choices, client=choice.client, next=request.args.get("next")
    )


@bp.post("/<name>/start")
def start(name: str):
    """The chooser's button (a form, with its CSRF token)."""
    choice = _choice()
    provider = next((p for p in choice.offered if p.name == name), None)
    if provider is None:
        abort(404, description="this identity provider is not offered here")
    return _go(provider, choice.level)


@bp.get("/<name>/callback")
def callback(name: str):
    """The provider's answer: checked, then the citizen is signed in here."""
    pending = Pending.from_dict(session.pop(FEDERATION_KEY, None))
    provider = providers.find(name)
    if pending is None or provider is None or pending.provider != name or not provider.active:
        return _page(provider, "no_pending_request", 400)
    try:
        assertion = complete(provider, request.args, pending)
    except FederationError as problem:
        log.warning("sign-in through %s failed: %s", name, problem)
        return _page(provider, f"identity_provider_{problem.kind}", problem.status, problem.detail)
    user = citizen_asserted(assertion.identity)
    start_sign_in(user, assertion.acr, assertion.amr, provider.name, assertion.id_token)
    target = current_pending()
    return redirect(target["return_to"] if target else url_for("account.index"), code=303)


@bp.get("/<name>/logged-out")
def logged_out(name: str):
    """The provider ended its session (:mod:`idp.citizens.federation.logout`); ours already is."""
    expected, then = federated_logout.returned(name, request.args.get("state"))
    if not expected:
        log.warning("logout return from %s without the state we sent", name)
    return redirect(then, code=303) if then else render_template("logged_out.html")
