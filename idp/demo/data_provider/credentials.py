"""The demo data provider's client credentials, kept in the instance folder (demo only).

A real data provider keeps its secret in its own vault; the demo runs in the same process
as the provider, so the secret lives beside the embedded database, readable by its owner only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import current_app

DEMO_DATA_PROVIDER_ID = "demo-data-provider-dgfip"
CREDENTIALS_FILE = "demo_data_provider.json"


def credentials_path() -> Path:
    return Path(current_app.instance_path) / CREDENTIALS_FILE


def save_credentials(client_id: str, client_secret: str) -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": client_id, "client_secret": client_secret}, handle)


def load_credentials() -> dict | None:
    try:
        data = json.loads(credentials_path().read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("client_id") or not data.get("client_secret"):
        return None
    return data
