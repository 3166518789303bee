"""200 concurrent deliveries against a real ``idp serve`` (2 workers) end as fired_at order says.

Twenty habilitations (ten FranceConnect, ten API ones riding on them) each go through ten
events simulated the way DataPass would send them. The deliveries are shuffled, a few are
repeated, and all are posted at once from many threads. The reference is the same
deliveries posted one by one in ``fired_at`` order to a fresh app.
"""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e_server import start_server
from tests.idp.datapass.conftest import (
    EVENT_STATES,
    FC_SCOPES,
    SECRET,
    WEBHOOK,
    deliver,
    habilitation_payload,
    signature,
)

pytestmark = pytest.mark.e2e

EVENTS_PER_HABILITATION = 10
PAIRS = 10
API_SCOPE_CHOICES = (["dgfip_rfr"], ["dgfip_rfr", "dgfip_nbpart"], ["dgfip_sitfam", "dgfip_futur_scope"])
LATER_EVENTS = sorted(EVENT_STATES)


class SimulatedRequest:
    """A DataPass authorization request: each event changes it and yields a delivery."""

    def __init__(self, model_id: int, definition: str, first_authorization_id: int, form: dict, rng):
        self.model_id, self.definition, self.form, self.rng = model_id, definition, form, rng
        self.next_authorization_id = first_authorization_id
        self.authorizations: list[dict] = []
        self.scopes = FC_SCOPES if definition == "france_connect" else rng.choice(API_SCOPE_CHOICES)

    def event(self, name: str, fired_at: int) -> dict:
        if name == "approve":
            for previous in self.authorizations:
                previous["state"] = "obsolete"
            self.authorizations.append(
                {
                    "id": self.next_authorization_id,
                    "state": "active",
                    "revoked": False,
                    "definition_id": self.definition,
                    "data": {"scopes": list(self.scopes)},
                }
            )
            self.next_authorization_id += 1
        elif name == "revoke":
            for previous in self.authorizations:
                previous.update(state="revoked", revoked=True)
        elif name == "reopen" and self.definition != "france_connect":
            self.scopes = self.rng.choice(API_SCOPE_CHOICES)
        return habilitation_payload(
            name,
            fired_at,
            self.model_id,
            definition=self.definition,
            scopes=list(self.scopes),
            authorizations=json.loads(json.dumps(self.authorizations)),
            **self.form,
        )


def simulated_deliveries(seed: int = 4) -> list[dict]:
    rng = random.Random(seed)
    deliveries = []
    for pair in range(PAIRS):
        fc_authorization = 9000 + 10 * pair
        requests_ = (
            SimulatedRequest(
                100 + pair, "france_connect", fc_authorization, {"france_connect_eidas": "eidas_1"}, rng
            ),
            SimulatedRequest(
                200 + pair,
                "api_impot_particulier",
                7000 + 10 * pair,
                {
                    "modalities": ["with_france_connect"],
                    "france_connect_authorization_id": str(fc_authorization),
                },
                rng,
            ),
        )
        for request in requests_:
            events = [
                "create",
                "submit",
                "approve",
                *rng.choices(LATER_EVENTS, k=EVENTS_PER_HABILITATION - 3),
            ]
            fired_at = 1_800_000_000 + rng.randrange(1000)
            for name in events:
                fired_at += rng.randrange(1, 50)
                deliveries.append(request.event(name, fired_at))
    return deliveries


def outcome(habilitations: list[dict], clients: list[dict]) -> dict:
    """The comparable end state: each habilitation, and the scopes of each FC habilitation's client."""
    scopes_of = {c["client_id"]: sorted(c["allowed_scopes"]) for c in clients}
    by_id = {h["id"]: h for h in habilitations}
    result = {}
    for habilitation in habilitations:
        owner = by_id.get(100 + habilitation["id"] % 100)
        result[habilitation["id"]] = {
            "state": habilitation["state"],
            "active": habilitation["active"],
            "approved_scopes": habilitation["approved_scopes"],
            "last_fired_at": habilitation["last_fired_at"],
            "linked_to_its_france_connect_client": habilitation["client_id"] is not None
            and habilitation["client_id"] == owner["client_id"],
            "client_scopes": scopes_of.get(habilitation["client_id"]),
        }
    return result


def test_concurrent_deliveries_end_in_fired_at_order_state(tmp_path, app, client):
    from idp.clients.admin import describe as describe_client
    from idp.datapass.admin import describe, list_habilitations
    from idp.extensions import db
    from idp.models import Client

    deliveries = simulated_deliveries()
    assert len(deliveries) == 2 * PAIRS * EVENTS_PER_HABILITATION == 200

    # Reference: one by one, in fired_at order, in-process.
    for payload in sorted(deliveries, key=lambda p: p["fired_at"]):
        assert deliver(client, payload).status_code == 200
    with app.app_context():
        expected = outcome(
            [describe(h) for h in list_habilitations()],
            [describe_client(c) for c in db.session.scalars(db.select(Client))],
        )
    # The simulation must exercise the rules: some end active, some not, most are linked.
    assert {entry["active"] for entry in expected.values()} == {True, False}
    assert sum(entry["linked_to_its_france_connect_client"] for entry in expected.values()) >= 10

    server = start_server(tmp_path / "served", workers=2, env={"IDP_DATAPASS_WEBHOOK_SECRETS": SECRET})
    try:
        rng = random.Random(7)
        shuffled = deliveries + rng.sample(deliveries, 20)  # DataPass retries: some arrive twice
        rng.shuffle(shuffled)
        bodies = [json.dumps(payload).encode() for payload in shuffled]

        def post(body: bytes) -> int:
            """Like DataPass: a 503 (database busy under load) is sent again, the rest is final."""
            headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body)}
            for _ in range(5):
                status = requests.post(
                    server.url + WEBHOOK, data=body, headers=headers, timeout=60
                ).status_code
                if status != 503:
                    return status
                time.sleep(1)
            return status

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(post, bodies))
        assert statuses == [200] * len(bodies)

        served = outcome(
            server.idp_json("habilitations", "list", "--json"), server.idp_json("clients", "list", "--json")
        )
        deliveries_log = server.idp_json("habilitations", "audit", "--limit", "10000", "--json")
    finally:
        server.stop()
    assert served.keys() == expected.keys()
    assert {key: (served[key], expected[key]) for key in served if served[key] != expected[key]} == {}
    recorded = [event for event in deliveries_log if event["kind"] == "webhook_delivery"]
    assert len(recorded) == 200  # each distinct delivery recorded once; repeats were no-ops
