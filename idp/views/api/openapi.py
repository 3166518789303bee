"""The OpenAPI 3 document of ``/api/v1``, generated from the routes and the marshmallow schemas.

Views declare what they take and return with :func:`operation`; :func:`openapi_document` walks
the application's URL map, so the document lists exactly the routes that exist, and apispec's
marshmallow plugin turns the schemas into JSON Schema components.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import Schema

from idp.views.api.schemas import ErrorSchema

TITLE = "idp scope registry API"
VERSION = "1.0.0"
SECURITY_SCHEME = "registryWrite"
_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "Deleted",
    400: "Malformed request: field errors in `errors`",
    401: "No access token, or one that is not active (RFC 6750 §3.1)",
    403: "The token lacks registry_write, or the namespace belongs to another provider",
    404: "Unknown provider or scope",
    409: "The key exists, or a habilitation or a live token still holds it",
}
_WRITE_ERRORS = (400, 401, 403)
_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def operation(
    summary: str,
    *,
    responses: dict[int, type[Schema] | None],
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    write: bool = False,
) -> Callable:
    """Describe a view for the OpenAPI document (write operations need a bearer token)."""

    def decorate(view: Callable) -> Callable:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "responses": responses,
            "body": body,
            "query": query,
            "write": write,
        }
        return view

    return decorate


def _response(status: int, schema: type[Schema] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": _DESCRIPTIONS[status]}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _operation(doc: dict[str, Any], path_parameters: list[str]) -> dict[str, Any]:
    responses = dict(doc["responses"])
    if doc["write"]:
        responses.update({status: ErrorSchema for status in _WRITE_ERRORS})
    if path_parameters:
        responses.setdefault(404, ErrorSchema)
    parameters: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
        for name in path_parameters
    ]
    if doc["query"] is not None:
        parameters.append({"in": "query", "schema": doc["query"]})
    result: dict[str, Any] = {
        "summary": doc["summary"],
        "responses": {str(status): _response(status, schema) for status, schema in responses.items()},
    }
    if parameters:
        result["parameters"] = parameters
    if doc["body"] is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc["body"]}},
        }
    if doc["write"]:
        result["security"] = [{SECURITY_SCHEME: []}]
    return result


def openapi_document(app: Flask, blueprint: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the documented routes of ``blueprint``."""
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.0.3", plugins=[MarshmallowPlugin()])
    spec.components.security_scheme(
        SECURITY_SCHEME,
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An RFC 9068 access token from /token (client_credentials, "
            "scope registry_write) of a data provider or an operator.",
        },
    )
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions[rule.endpoint], "openapi", None)
        if not rule.endpoint.startswith(f"{blueprint}.") or doc is None:
            continue
        path = _PARAMETER.sub(r"{\1}", rule.rule)
        names = _PARAMETER.findall(rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(doc, names)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
