"""JSON in and out of the Flask views that are not protocol endpoints.

:func:`json_error` is :func:`idp.oauth2.http.error_response` for those views (the registry
API, the webhook, the demo API, Flask's own HTTP errors); :func:`marshmallow_errors` turns a
schema's messages into JSON-ready field errors; :func:`read_json` parses a body.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Response

from idp.oauth2.http import JSONError, error_response
from idp.views.oauth import flask_response


def json_error(
    status: int, error: str, description: str | None = None, headers: Iterable[tuple[str, str]] = (), **extra
) -> Response:
    """``{"error", "error_description", ...extra}``, never cached (RFC 6749 §5.2 style)."""
    return flask_response(error_response(JSONError(status, error, description, headers, **extra)))


def marshmallow_errors(messages: object) -> object:
    """Marshmallow keys list items by index; JSON objects want string keys."""
    if isinstance(messages, dict):
        return {str(name): marshmallow_errors(value) for name, value in messages.items()}
    return messages


def read_json(body: bytes) -> object:
    """The JSON document in ``body`` (RFC 8259); ``ValueError`` when it is not one.

    Python's parser recurses once per nesting level: a body nested thousands deep raises
    ``RecursionError``, which is a malformed body here, not a server error.
    """
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("the JSON document is nested too deep") from None
