"""Revocation stays correct at speed: a token revoked through one worker introspects
inactive through every worker at the very next request (RFC 7009 §2, RFC 7662 §2.2).

Against a real ``idp serve`` with two Granian workers. Several keep-alive connections are
opened and each is mapped to the worker process that accepted it (via ``/proc``), so the
test knows, rather than hopes, that every worker answered before and after the revocation.
"""

from __future__ import annotations

import http.client
import json
import os
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e_server import start_server

pytestmark = pytest.mark.e2e
WORKERS = 2
CONNECTIONS = 12


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _server_side_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the TCP connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if local_port == server_port and remote_port == client_port:
                return fields[9]
    return None


def _workers(server_pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    return children


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + b64encode(f"{client_id}:{secret}".encode()).decode()


def _post(conn: http.client.HTTPConnection, path: str, form: dict, authorization: str) -> dict:
    conn.request(
        "POST",
        path,
        body=urlencode(form),
        headers={"Authorization": authorization, "Content-Type": "application/x-www-form-urlencoded"},
    )
    response = conn.getresponse()
    body = response.read()
    assert response.status == 200, (response.status, body)
    return json.loads(body) if body else {}


@pytest.fixture
def server(tmp_path):
    # Long caches: revocation must not depend on any per-process cache expiring.
    live = start_server(
        tmp_path, workers=WORKERS, env={"IDP_KEYS_CACHE_SECONDS": "300", "IDP_REGISTRY_CACHE_SECONDS": "300"}
    )
    yield live
    live.stop()


def test_revoked_token_is_inactive_on_every_worker_at_the_next_request(server):
    service = server.idp_json(
        "clients",
        "create",
        "--name",
        "fs-coherence",
        "--auth-method",
        "client_secret_basic",
        "--allowed-scopes",
        "dgfip_statistiques",
        "--json",
    )
    for existing in server.idp_json("clients", "list", "--json"):  # seed-demo's own dgfip provider
        if existing["namespace"] == "dgfip":
            server.idp("clients", "delete", existing["client_id"])
    provider = server.idp_json(
        "clients",
        "create",
        "--name",
        "fd-coherence",
        "--role",
        "data-provider",
        "--namespace",
        "dgfip",
        "--json",
    )
    service_auth = _basic(service["client_id"], service["client_secret"])
    provider_auth = _basic(provider["client_id"], provider["client_secret"])
    port = urlsplit(server.url).port
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CONNECTIONS)]
    try:
        token = _post(
            connections[0],
            "/token",
            {"grant_type": "client_credentials", "scope": "dgfip_statistiques"},
            service_auth,
        )["access_token"]
        for conn in connections:  # every connection, so every worker, has seen it active
            assert _post(conn, "/introspect", {"token": token}, provider_auth)["active"] is True

        owners = {}
        workers = _workers(server.process.pid)
        assert len(workers) == WORKERS
        inodes = {pid: _socket_inodes(pid) for pid in workers}
        for conn in connections:
            inode = _server_side_inode(port, conn.sock.getsockname()[1])
            owners[conn] = next(pid for pid, owned in inodes.items() if inode in owned)
        assert set(owners.values()) == set(workers), "every worker must hold a connection"

        revoking = next(conn for conn in connections if owners[conn] == workers[0])
        _post(revoking, "/revoke", {"token": token, "token_type_hint": "access_token"}, service_auth)

        for conn in connections:  # the very next request on each connection, on both workers
            assert _post(conn, "/introspect", {"token": token}, provider_auth) == {"active": False}
    finally:
        for conn in connections:
            conn.close()
