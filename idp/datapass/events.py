"""The pure rules: what an event and a snapshot of a DataPass request do to a habilitation.

DataPass sends, with each event, a full snapshot of the authorization request (``data``),
including every authorization (``data.authorizations[]``) that its approvals created. The
standing of a habilitation (active or not, and which scopes it grants) is therefore derived
from the event *and* the snapshot, so that the last snapshot alone decides it: applying
deliveries in ``fired_at`` order and dropping the older ones that arrive late give the same
result.

- ``approve`` makes it active with the snapshot's scopes (``data.data.scopes``).
- ``revoke`` and ``archive`` make it inactive at once; the last approved scopes (those of
  the newest authorization) are kept for the record but grant nothing.
- Every other event (``reopen``, ``submit``, ``refuse``, ``request_changes``,
  ``cancel_reopening``, ``update``, ``transfer``, ``create``) follows the snapshot: active
  while an authorization is live (state ``active``, not revoked), granting that
  authorization's scopes. A reopened habilitation keeps its last approved scopes until it is
  approved again, because its live authorization still carries them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: DataPass v2 webhook events, and the request state each leads to when the snapshot
#: carries none (None: the state does not change).
EVENT_STATES: dict[str, str | None] = {
    "create": "draft",
    "update": None,
    "transfer": None,
    "submit": "submitted",
    "approve": "validated",
    "refuse": "refused",
    "request_changes": "changes_requested",
    "revoke": "revoked",
    "archive": "archived",
    "reopen": "draft",
    "cancel_reopening": "validated",
}
KNOWN_EVENTS = frozenset(EVENT_STATES)
APPROVE = "approve"
DEACTIVATING_EVENTS = frozenset({"revoke", "archive"})
ENDED_STATES = frozenset({"revoked", "archived"})
FRANCE_CONNECT = "france_connect"
WITH_FRANCE_CONNECT = "with_france_connect"
#: The DataPass definitions whose habilitations this hub applies: FranceConnect's own, and the
#: APIs that DataPass lets a service use through FranceConnect, i.e. whose model includes
#: ``AuthorizationExtensions::FranceConnect`` or ``DGFIPExtensions::APIImpotParticulierModalities``
#: (etalab/data_pass, ``app/models/authorization_request/*.rb``). Anything else is refused by
#: ``idp habilitations import`` and recorded but not applied by the webhook: a habilitation of
#: a type this hub does not serve must not grant scopes. A new one is a line here.
KNOWN_DEFINITIONS = frozenset(
    {
        FRANCE_CONNECT,
        "api_impot_particulier",
        "api_impot_particulier_sandbox",
        "api_particulier",
        "api_droits_cnam",
        "api_indemnites_journalieres_cnam",
    }
)


@dataclass(frozen=True)
class FormData:
    """The request's form attributes (``data.data``) that matter here."""

    scopes: tuple[str, ...] = ()
    intitule: str | None = None
    modalities: tuple[str, ...] = ()
    france_connect_authorization_id: str | None = None
    france_connect_eidas: str | None = None


@dataclass(frozen=True)
class Authorization:
    """One authorization created by an approval (``data.authorizations[]``)."""

    id: str
    state: str | None = None
    revoked: bool = False
    definition_id: str | None = None
    data: FormData = FormData()

    @property
    def is_live(self) -> bool:
        return self.state == "active" and not self.revoked


@dataclass(frozen=True)
class Organization:
    name: str | None = None
    siret: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """An authorization request as DataPass last described it (the ``data`` object)."""

    id: int
    public_id: str | None = None
    state: str | None = None
    type: str | None = None
    data: FormData = FormData()
    organization: Organization | None = None
    # None when the payload did not say: then the previous standing is kept.
    authorizations: tuple[Authorization, ...] | None = None
    timestamps: tuple[str, ...] = ()

    @property
    def definition(self) -> str | None:
        """``france_connect``, ``api_impot_particulier``... from the authorizations or the type."""
        for authorization in self.authorizations or ():
            if authorization.definition_id:
                return authorization.definition_id
        if self.type:
            return rails_underscore(self.type.rsplit("::", 1)[-1])
        return None

    @property
    def authorization_ids(self) -> list[str]:
        return [authorization.id for authorization in self.authorizations or ()]

    @property
    def approvals(self) -> list[Authorization]:
        """The authorizations oldest first (DataPass ids increase with each approval)."""
        return sorted(self.authorizations or (), key=lambda a: int(a.id) if a.id.isdigit() else -1)

    @property
    def live_authorization(self) -> Authorization | None:
        """The newest live authorization."""
        live = [authorization for authorization in self.approvals if authorization.is_live]
        return live[-1] if live else None


@dataclass(frozen=True)
class Standing:
    """Whether a habilitation grants scopes, and which (its last approved ones)."""

    active: bool
    approved_scopes: tuple[str, ...]


def rails_underscore(name: str) -> str:
    """Rails' ``underscore``: ``APIImpotParticulier`` → ``api_impot_particulier``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name).lower()


def state_after(event: str | None, snapshot: Snapshot, previous_state: str | None) -> str:
    """The request state: the snapshot's own, else the one the event leads to."""
    return snapshot.state or (EVENT_STATES.get(event or "") or previous_state) or "draft"


def last_approved_scopes(snapshot: Snapshot, previous: Standing) -> tuple[str, ...]:
    """The scopes of the newest authorization: what the last approval granted."""
    if snapshot.authorizations is None:
        return previous.approved_scopes
    approvals = snapshot.approvals
    return approvals[-1].data.scopes if approvals else ()


def standing_from_snapshot(snapshot: Snapshot, previous: Standing) -> Standing:
    """What the snapshot alone says (events other than approve/revoke/archive, and imports)."""
    if snapshot.state in ENDED_STATES:
        return Standing(False, last_approved_scopes(snapshot, previous))
    if snapshot.authorizations is None:
        if snapshot.state == "validated":
            return Standing(True, snapshot.data.scopes)
        return previous
    live = snapshot.live_authorization
    if live is None:
        return Standing(False, last_approved_scopes(snapshot, previous))
    return Standing(True, live.data.scopes)


def standing_after(event: str, snapshot: Snapshot, previous: Standing) -> Standing:
    """The standing once ``event`` (a known one) with this snapshot is applied."""
    if event == APPROVE:
        return Standing(True, snapshot.data.scopes)
    if event in DEACTIVATING_EVENTS:
        return Standing(False, last_approved_scopes(snapshot, previous))
    return standing_from_snapshot(snapshot, previous)


def eidas_level(value: str | None) -> str | None:
    """DataPass ``france_connect_eidas`` (``eidas_1``) as an acr value (``eidas1``)."""
    match = re.fullmatch(r"eidas_?([123])", (value or "").strip().lower())
    return f"eidas{match.group(1)}" if match else None


def wants_france_connect_link(definition: str, form: FormData) -> bool:
    """An API habilitation used through FranceConnect names the FC authorization it rides on."""
    return (
        definition != FRANCE_CONNECT
        and WITH_FRANCE_CONNECT in form.modalities
        and bool(form.france_connect_authorization_id)
    )
