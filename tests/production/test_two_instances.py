"""Two ``idp serve`` instances on one PostgreSQL database behave as one (issue 16): a code
is redeemed once across both; a revocation, a consent withdrawal and a DataPass revoke
delivered to A are seen at once on B; a key rotated through the CLI is published on both
before either signs with it, and used by both within ``IDP_KEYS_CACHE_SECONDS``; sign-in
throttling counts across both.

The registry cache (``IDP_REGISTRY_CACHE_SECONDS``) is left at its 5 s default: what must
be seen at once must not depend on it.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable

import jwt
import psycopg
import pytest
import requests

from tests.federation.citizen import PASSWORD, Citizen, csrf
from tests.idp.e2e.test_data_provider_e2e import deliver
from tests.production.flows import (
    CITIZEN_SCOPE,
    REDIRECT_URI,
    authorize,
    citizen_tokens,
    introspection,
    machine_token,
    redeem,
    register_service,
)
from tests.production.instances import demo_data_provider, start_instances, stop_all

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

KEYS_CACHE_SECONDS = 2
PAIR_LIMIT = 4
INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def instances(tmp_path_factory, shared_database):
    servers = start_instances(
        tmp_path_factory.mktemp("two-instances"),
        shared_database,
        env={
            "IDP_KEYS_CACHE_SECONDS": str(KEYS_CACHE_SECONDS),
            "IDP_LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP": str(PAIR_LIMIT),
        },
    )
    yield servers
    stop_all(servers)


@pytest.fixture(scope="module")
def provider(instances) -> dict:
    return demo_data_provider(instances)


@pytest.fixture(scope="module")
def service(a) -> dict:
    return register_service(a)


@pytest.fixture(scope="module")
def citizen() -> Citizen:
    """Marie's browser: signed in once (on A), her session cookie good on both."""
    return Citizen("marie.dupont")


def at_once(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run ``calls`` in threads released together; their answers, in order."""
    start = threading.Barrier(len(calls))
    answers: list = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_a_code_is_redeemed_once_across_both(a, b, service, citizen):
    for _ in range(8):
        params, verifier = authorize(citizen, a.url, service)
        calls = []
        for server in (a, b):
            session = requests.Session()
            session.get(f"{server.url}/jwks", timeout=10)  # connected: both fire at once
            calls.append(functools.partial(redeem, server.url, service, params["code"], verifier, session))
        answers = at_once(*calls)
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200, 400], [(answer.status_code, answer.text) for answer in answers]
        loser = next(answer for answer in answers if answer.status_code == 400)
        assert loser.json()["error"] == "invalid_grant"


def test_a_token_revoked_on_a_is_inactive_on_b_at_once(a, b, service, citizen, provider):
    tokens = citizen_tokens(citizen, a.url, service)
    machine = machine_token(a.url, service).json()["access_token"]
    for token in (tokens["access_token"], machine):
        assert introspection(b.url, provider, token)["active"] is True
        revoked = requests.post(
            f"{a.url}/revoke", data={"token": token}, auth=(service["client_id"], service["client_secret"]),
            timeout=10,
        )  # fmt: skip
        assert revoked.status_code == 200
        assert introspection(b.url, provider, token) == INACTIVE


def test_a_consent_withdrawn_on_a_is_gone_on_b_at_once(a, b, service, citizen, provider):
    tokens = citizen_tokens(citizen, a.url, service)
    assert introspection(b.url, provider, tokens["access_token"])["active"] is True
    page = citizen.browser.get(f"{a.url}/account", timeout=10)
    assert page.status_code == 200, page.status_code
    action = re.search(r'action="(/account/consents/\d+/withdraw)"', page.text).group(1)
    withdrawn = citizen.browser.post(
        f"{a.url}{action}", data={"csrf_token": csrf(page.text)}, allow_redirects=False, timeout=10
    )
    assert withdrawn.status_code in (302, 303), withdrawn.text[:500]
    assert introspection(b.url, provider, tokens["access_token"]) == INACTIVE
    # And B asks for consent again: the citizen is shown the consent page.
    params, _ = authorize(citizen, b.url, service)
    assert "code" in params
    assert any('name="decision"' in page.text for page in citizen.pages[-3:])


def test_a_datapass_revoke_delivered_to_a_is_seen_on_b_at_once(a, b, provider):
    approved = deliver(a, "approve-france-connect")
    assert approved.status_code == 200, approved.text
    client_id = approved.json()["token_id"]
    a.idp("clients", "update", client_id, "--redirect-uri", REDIRECT_URI)
    secret = a.idp_json("clients", "rotate-secret", client_id, "--json")["client_secret"]
    service = {"client_id": client_id, "client_secret": secret}
    assert deliver(a, "approve-api-impot-particulier").status_code == 200
    citizen = Citizen("marie.dupont")
    tokens = citizen_tokens(citizen, a.url, service)
    assert introspection(b.url, provider, tokens["access_token"])["scope"] == "dgfip_rfr"

    assert deliver(a, "revoke-api-impot-particulier").status_code == 200
    assert introspection(b.url, provider, tokens["access_token"]) == INACTIVE
    params, _ = authorize(citizen, b.url, service, scope=CITIZEN_SCOPE)
    assert params["error"] == "invalid_scope", params


def _kids(server) -> set[str]:
    return {key["kid"] for key in requests.get(f"{server.url}/jwks", timeout=10).json()["keys"]}


def _signing_kid(server, service) -> str:
    response = machine_token(server.url, service)
    assert response.status_code == 200, response.text
    return jwt.get_unverified_header(response.json()["access_token"])["kid"]


def test_a_rotated_key_is_published_on_both_before_either_signs_with_it(a, b, service, shared_database):
    published = _kids(a)
    assert _kids(b) == published
    before = {_signing_kid(a, service), _signing_kid(b, service)}
    assert len(before) == 1

    # The next key was published a moment ago: too soon to sign with it, the CLI refuses.
    refused = a.idp("keys", "rotate", check=False)
    assert refused.returncode == 1 and "not published long enough" in refused.stderr
    # An hour later (the keys' clocks moved back), it may.
    plain = shared_database.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute("UPDATE signing_keys SET created_at = created_at - interval '1 hour'")
    rotated = a.idp("keys", "rotate").stdout.split("\n")
    new_active = next(line.split()[0] for line in rotated if line.split()[1:] == ["ES256", "active"])
    new_next = next(line.split()[0] for line in rotated if line.split()[1:] == ["ES256", "next"])
    assert new_active in published and new_active not in before

    started = time.monotonic()
    signed_with: dict[str, float] = {}
    next_seen: dict[str, float] = {}
    while time.monotonic() - started < KEYS_CACHE_SECONDS + 5 and min(len(signed_with), len(next_seen)) < 2:
        for name, server in (("a", a), ("b", b)):
            kid = _signing_kid(server, service)
            assert kid in published, f"{name} signed with {kid}, which was not published on both"
            if kid == new_active:
                signed_with.setdefault(name, time.monotonic() - started)
            if new_next in _kids(server):
                next_seen.setdefault(name, time.monotonic() - started)
        time.sleep(0.1)
    print(f"\nkey rotation, seconds after: signing {signed_with}, next key published {next_seen}")
    assert set(signed_with) == {"a", "b"}, signed_with
    assert max(signed_with.values()) <= KEYS_CACHE_SECONDS + 1, signed_with
    assert set(next_seen) == {"a", "b"}, next_seen
    assert new_next not in {_signing_kid(a, service), _signing_kid(b, service)}


def _sign_in(server, username: str, password: str) -> int:
    browser = requests.Session()
    page = browser.get(f"{server.url}/login", timeout=10)
    return browser.post(
        f"{server.url}/login",
        data={"username": username, "password": password, "csrf_token": csrf(page.text)},
        allow_redirects=False,
        timeout=10,
    ).status_code


def test_sign_in_throttling_counts_across_both(a, b):
    """Failures on one account from one address, alternately on A and B: held after
    PAIR_LIMIT in all, on either; the right password is then refused on both too."""
    servers = [(a, b)[attempt % 2] for attempt in range(PAIR_LIMIT)]
    statuses = [_sign_in(server, "jean.martin", "wrong password") for server in servers]
    assert statuses == [401] * (PAIR_LIMIT - 1) + [429]
    assert [_sign_in(server, "jean.martin", PASSWORD) for server in (a, b)] == [429, 429]
