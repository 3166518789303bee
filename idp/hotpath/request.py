"""The request as the lean endpoints see it: the subset of Flask's ``Request`` they use.

Only the plainest requests are accepted here, and anything else is left to Flask, which
answers it in full, errors included. A request is accepted when it has:
- no query string;
- a declared length of at most :data:`MAX_BODY_BYTES`;
- for POST, an ``application/x-www-form-urlencoded`` ASCII body (RFC 6749 §3.2, RFC 7662 §2.1)
  with no repeated parameter (RFC 6749 §3.1) and no undecodable escape.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders, ImmutableMultiDict

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
#: A token request or an introspection fits in far less (a JWT is under 1 KiB here).
MAX_BODY_BYTES = 8 * 1024
#: More parameters than any of these endpoints defines.
MAX_FIELDS = 16
_NO_QUERY = ImmutableMultiDict()


class LeanRequest:
    """``headers``, ``args`` (always empty) and ``form``, as on Flask's ``Request``."""

    __slots__ = ("body", "form", "headers")
    args = _NO_QUERY

    def __init__(self, body: bytes, form: ImmutableMultiDict, headers: EnvironHeaders) -> None:
        self.body = body
        self.form = form
        self.headers = headers


def read_body(environ: dict) -> bytes | None:
    """The declared body, read whole; ``None`` (nothing read) when it is not small and declared."""
    if environ.get("QUERY_STRING"):
        return None
    declared = environ.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return None
    length = int(declared)
    body = environ["wsgi.input"].read(length) if length else b""
    return body if len(body) == length else None


def parse(environ: dict, body: bytes) -> LeanRequest | None:
    """The request, or ``None`` when it is anything but plain (Flask then answers it)."""
    form: ImmutableMultiDict = _NO_QUERY
    if environ["REQUEST_METHOD"] == "POST":
        media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if media_type != FORM_MEDIA_TYPE or not body.isascii():
            return None
        try:
            pairs = parse_qsl(
                body.decode("ascii"),
                keep_blank_values=True,
                strict_parsing=bool(body),
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except (ValueError, UnicodeDecodeError):
            return None
        form = ImmutableMultiDict(pairs)
        if len(form) != len(pairs):
            return None
    return LeanRequest(body, form, EnvironHeaders(environ))
