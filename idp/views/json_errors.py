"""JSON error answers of the Flask views, through the protocol's one renderer.

:func:`json_error` is :func:`idp.oauth2.http.error_response` for the views that are not
protocol endpoints (the registry API, the webhook, the demo API, Flask's own HTTP errors);
:func:`marshmallow_errors` turns a schema's messages into JSON-ready field errors.
"""

from __future__ import annotations

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
