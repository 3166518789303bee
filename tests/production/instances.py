"""Several real ``idp serve`` processes on one PostgreSQL database, as production runs them.

Every instance has its own instance folder and port, and the settings that must be equal
across instances (README, "Production"): the database, the session secret, the key
passphrase, the pairwise salt and the issuer. ``idp db upgrade`` and ``idp seed-demo`` run
once, through the first instance.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e_server import IDP, LiveServer, free_port
from tests.idp.e2e.test_data_provider_e2e import WEBHOOK_SECRET

#: What every instance shares besides the database and the issuer.
SHARED_SETTINGS = {
    "IDP_SECRET_KEY": "production-session-secret-0123456789abcdef",
    "IDP_KEYS_PASSPHRASE": "production-keys-passphrase-0123456789",
    "IDP_PAIRWISE_SALT": "production-pairwise-salt-0123456789",
    "IDP_DATAPASS_WEBHOOK_SECRETS": WEBHOOK_SECRET,
    "IDP_DATAPASS_ENVIRONMENT": "production",
}


def start_instances(
    tmp_path: Path, database_url: str, *, issuer: str | None = None, count: int = 2, env: dict | None = None
) -> list[LiveServer]:
    """``count`` instances (one worker each: two cores are shared by the whole suite) on
    ``database_url``; the issuer is the first instance's URL unless given."""
    ports = [free_port() for _ in range(count)]
    issuer = issuer or f"http://127.0.0.1:{ports[0]}"
    servers = []
    for number, port in enumerate(ports, start=1):
        server_env = {
            **os.environ,
            **SHARED_SETTINGS,
            "IDP_DATABASE_URL": database_url,
            "IDP_ISSUER": issuer,
            "IDP_INSTANCE_PATH": str(tmp_path / f"instance-{number}"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [IDP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        log = tmp_path / f"instance-{number}.log"
        url = f"http://127.0.0.1:{port}"
        servers.append(LiveServer(url=url, env=server_env, log_path=log, command=command))
    servers[0].idp("db", "upgrade")
    servers[0].idp("seed-demo")
    try:
        for server in servers:
            server.log_path.write_text("")
            server.start()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[LiveServer]) -> None:
    for server in servers:
        server.stop()


def demo_data_provider(servers: list[LiveServer]) -> dict:
    """The demo DGFiP's credentials (``idp seed-demo`` wrote them in the first instance)."""
    return json.loads((Path(servers[0].env["IDP_INSTANCE_PATH"]) / "demo_data_provider.json").read_text())
