"""One GET of a JSON document from another server: a timeout, a size limit, no redirect,
over the process's pooled connections (:mod:`.http`).

A hostile or broken server can neither hold a worker (``TIMEOUT_SECONDS`` to connect and
between bytes, :data:`idp.outbound.http.EXCHANGE_SECONDS` in all), nor fill its memory
(``MAX_BYTES``), nor send it elsewhere (redirects are refused: the URL was registered by an
operator).
"""

from __future__ import annotations

import json

from idp.outbound import http

MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 3


class DocumentUnavailable(Exception):
    """The document could not be fetched, or is not a JSON object; the message says why."""


def fetch_json(url: str, *, max_bytes: int = MAX_BYTES, headers: dict | None = None) -> dict:
    """The JSON object at ``url`` (200, at most ``max_bytes``), or :class:`DocumentUnavailable`."""
    try:
        body = http.get(url, max_bytes=max_bytes, timeout=TIMEOUT_SECONDS, headers=headers).content
    except http.Unanswered as problem:
        raise DocumentUnavailable(f"{url}: {problem}") from problem
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise DocumentUnavailable(f"{url}: not JSON") from exc
    if not isinstance(document, dict):
        raise DocumentUnavailable(f"{url}: not a JSON object")
    return document
