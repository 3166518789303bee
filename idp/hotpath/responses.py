"""Responses of the lean endpoints: the same media types and headers as Flask's answers."""

from __future__ import annotations

import json
from typing import NamedTuple

#: RFC 6749 §5.1 and RFC 7662 §2.2: token and introspection answers are never cached.
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


class LeanResponse(NamedTuple):
    """Always a success: every error is left to Flask, so that errors have a single source."""

    headers: list[tuple[str, str]]
    body: bytes


def respond(body: bytes, media_type: str, headers: tuple[tuple[str, str], ...] = NO_STORE) -> LeanResponse:
    return LeanResponse([("Content-Type", media_type), ("Content-Length", str(len(body))), *headers], body)


def json_response(
    payload: dict, headers: tuple[tuple[str, str], ...] = NO_STORE, media_type: str = "application/json"
) -> LeanResponse:
    return respond(json.dumps(payload, separators=(",", ":")).encode(), media_type, headers)
