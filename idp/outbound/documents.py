"""One GET of a JSON document from another server: a timeout, a size limit, no redirect,
over the process's pooled connections (:mod:`.http`).

A hostile or broken server can neither hold a worker (``TIMEOUT_SECONDS`` to connect and
between bytes), nor fill its memory (``MAX_BYTES``), nor send it elsewhere (redirects are
refused: the URL was registered by an operator).
"""

from __future__ import annotations

import json

import requests

from idp.outbound import http

MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 3


class DocumentUnavailable(Exception):
    """The document could not be fetched, or is not a JSON object; the message says why."""


def fetch_json(url: str, *, max_bytes: int = MAX_BYTES, headers: dict | None = None) -> dict:
    """The JSON object at ``url`` (200, at most ``max_bytes``), or :class:`DocumentUnavailable`."""
    try:
        response = http.session().get(
            url, timeout=TIMEOUT_SECONDS, stream=True, allow_redirects=False, headers=headers
        )
        if response.status_code != 200:
            response.close()
            raise DocumentUnavailable(f"{url}: status {response.status_code}")
        body = http.read_limited(response, max_bytes)
    except requests.RequestException as exc:
        raise DocumentUnavailable(f"{url}: {type(exc).__name__}") from exc
    except http.TooLarge as exc:
        raise DocumentUnavailable(f"{url}: {exc}") from exc
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise DocumentUnavailable(f"{url}: not JSON") from exc
    if not isinstance(document, dict):
        raise DocumentUnavailable(f"{url}: not a JSON object")
    return document
