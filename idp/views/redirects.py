"""Redirect targets taken from the query string: local paths only, never an open redirect.

RFC 9700 §4.11 (open redirectors): a ``next`` parameter must not send the browser elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_local_path(value: str | None) -> str | None:
    """``value`` when it is a path on this site (``/account?x=1``), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
