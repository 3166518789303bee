"""Fetching a client's ``jwks_uri`` (RFC 7591 §2), with a short cache and strict limits."""

from __future__ import annotations

import json
import threading
import time

import requests
from authlib.oauth2.rfc6749.errors import InvalidClientError

_CACHE: dict[str, tuple[float, dict]] = {}
_LOCK = threading.Lock()
TTL_SECONDS = 300
MAX_BYTES = 64 * 1024


def fetch_jwks(uri: str) -> dict:
    now = time.monotonic()
    cached = _CACHE.get(uri)
    if cached and now - cached[0] < TTL_SECONDS:
        return cached[1]
    try:
        response = requests.get(uri, timeout=3, stream=True, allow_redirects=False)
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
        if response.status_code != 200 or len(body) > MAX_BYTES:
            raise ValueError(f"status {response.status_code}")
        document = json.loads(body)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK set")
    except (requests.RequestException, ValueError) as exc:
        raise InvalidClientError(description="could not fetch the client's jwks_uri") from exc
    with _LOCK:
        _CACHE[uri] = (now, document)
    return document
