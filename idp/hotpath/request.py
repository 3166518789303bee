"""The WSGI environ as an :class:`~idp.oauth2.http.OAuthRequest`, parsed as Werkzeug parses it.

The same calls as Flask's request (Werkzeug's ``Request.args`` and its form parser for
``application/x-www-form-urlencoded``), so that both adapters hand the endpoints the same
parameters, byte for byte: undecodable escapes stay percent-encoded, a body that is not
UTF-8 gives an empty form, and a declared body above ``MAX_CONTENT_LENGTH`` is a 413.
Only form-encoded bodies are parsed: every endpoint served here refuses the others
(:data:`idp.oauth2.checks.FORM_REQUEST_CHECKS`).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from werkzeug.datastructures import EnvironHeaders, ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import get_input_stream

from idp.oauth2.http import FORM_MEDIA_TYPE, JSONError, OAuthRequest

_EMPTY = ImmutableMultiDict()


def _pairs(encoded: str) -> ImmutableMultiDict:
    if not encoded:
        return _EMPTY
    return ImmutableMultiDict(parse_qsl(encoded, keep_blank_values=True, errors="werkzeug.url_quote"))


def too_large() -> JSONError:
    """What Flask answers for a body over ``MAX_CONTENT_LENGTH`` (:mod:`idp.errors`)."""
    return JSONError(413, "invalid_request", "request body too large")


def _body(environ: dict, max_content_length: int) -> bytes:
    """The body, within ``max_content_length`` (Werkzeug's ``get_input_stream`` rules).

    A declared length is read as it is, which is what Werkzeug's limited stream does too;
    without one (chunked), Werkzeug's stream decides.
    """
    declared = environ.get("CONTENT_LENGTH")
    if declared and declared.isdigit():
        length = int(declared)
        if length > max_content_length:
            raise too_large()
        return environ["wsgi.input"].read(length) if length else b""
    try:
        return get_input_stream(environ, max_content_length=max_content_length).read()
    except RequestEntityTooLarge:
        raise too_large() from None


def oauth_request(environ: dict, issuer: str, max_content_length: int) -> OAuthRequest:
    """The request; raises :func:`too_large` for a body declared above the limit."""
    query = environ.get("QUERY_STRING", "")
    args = _pairs(query.encode("latin-1").decode(errors="replace") if query else "")
    headers = EnvironHeaders(environ)
    form = _EMPTY
    media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if media_type == FORM_MEDIA_TYPE:
        body = _body(environ, max_content_length)
        try:
            form = _pairs(body.decode())
        except UnicodeDecodeError:  # Werkzeug's parser gives an empty form too
            form = _EMPTY
    uri = issuer + environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    return OAuthRequest(environ["REQUEST_METHOD"], uri, headers, args, form)
