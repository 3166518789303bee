"""The pending authorization request, kept in the citizen's cookie session between pages.

``/authorize`` sends the citizen to sign in or to consent, and they come back to the same
URL. The session remembers that request (its parameters, when it started, the client and
scope to show, and a refusal), so that the steps in between know what is asked and a
``prompt=login`` or ``max_age`` is satisfied by the sign-in made during the request.
A request with other parameters starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import time
from urllib.parse import urlencode

from flask import session, url_for

PENDING_KEY = "authz"


def _fingerprint(params: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(sorted(params.items())).encode()).hexdigest()


def pending_for(params: dict[str, str]) -> dict:
    """The pending request stored for these very parameters, or a new one starting now."""
    fingerprint = _fingerprint(params)
    stored = session.get(PENDING_KEY)
    if isinstance(stored, dict) and stored.get("fp") == fingerprint:
        return stored
    return {"fp": fingerprint, "started": time.time(), "params": params}


def remember(pending: dict, client_id: str, scope: str, acr: str) -> None:
    """Keep the request while the citizen signs in or consents; they return to ``return_to``.

    ``acr`` is the level the sign-in must reach (:func:`idp.oauth2.authorize.required_acr`).
    """
    pending["client_id"] = client_id
    pending["scope"] = scope
    pending["acr"] = acr
    pending["return_to"] = url_for("authorize.authorize") + "?" + urlencode(pending["params"])
    session[PENDING_KEY] = pending


def current_pending() -> dict | None:
    """The request the sign-in or consent page is for, if any."""
    stored = session.get(PENDING_KEY)
    return stored if isinstance(stored, dict) and "return_to" in stored else None


def refuse(pending: dict) -> None:
    """The citizen refused: ``/authorize`` answers ``access_denied`` (RFC 6749 §4.1.2.1)."""
    pending["denied"] = True
    session[PENDING_KEY] = pending


def forget() -> None:
    session.pop(PENDING_KEY, None)
