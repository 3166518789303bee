"""The registry API under ``/api/v1``: public reads, authenticated writes. Views stay thin.

Each view parses its input with a marshmallow schema, calls :mod:`idp.registry.admin`, and
renders the result. Errors are OAuth-style JSON (RFC 6749 §5.2 names): a malformed body is a
400 ``invalid_request`` with ``errors`` by field; see :mod:`idp.views.api.auth` for 401/403.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from marshmallow import Schema, ValidationError

from idp.oauth2.bearer import BearerTokenError
from idp.oauth2.http import error_response
from idp.registry import admin, store
from idp.registry.admin import SCOPE_PATH, RegistryAdminError
from idp.views.api.auth import require_registry_writer
from idp.views.api.openapi import openapi_document, operation
from idp.views.api.schemas import (
    DeprecationSchema,
    ProviderDetailSchema,
    ProviderListSchema,
    ScopeListSchema,
    ScopePatchSchema,
    ScopeQuerySchema,
    ScopeSchema,
)
from idp.views.json_errors import json_error, marshmallow_errors, read_json
from idp.views.oauth import flask_response, oauth_request
from scopes import RegistryValidationError, ScopeDefinition

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# --- errors -------------------------------------------------------------------------------
def _at(errors: dict, path: list[str], message: str) -> None:
    """Put ``message`` at ``path`` in nested field errors, as marshmallow does."""
    node = errors
    for name in path[:-1]:
        child = node.setdefault(name, {})
        if not isinstance(child, dict):
            child = node[name] = {"_schema": child}
        node = child
    node.setdefault(path[-1], []).append(message)


def field_errors(invalid: RegistryValidationError) -> dict:
    """Registry problems by body field (``scope.label.fr`` → ``{"label": {"fr": [...]}}``)."""
    errors: dict = {}
    for problem in invalid.errors:
        path = problem.path or ""
        message = f"{problem.message} (rule {problem.rule})"
        if path.startswith(f"{SCOPE_PATH}."):
            _at(errors, path.removeprefix(f"{SCOPE_PATH}.").split("."), message)
        else:
            _at(errors, ["_schema"], str(problem))
    return errors


@bp.errorhandler(BearerTokenError)
def bearer_rejected(rejected: BearerTokenError) -> Response:
    return flask_response(error_response(rejected))


@bp.errorhandler(ValidationError)
def malformed(invalid: ValidationError) -> Response:
    messages = invalid.messages if isinstance(invalid.messages, dict) else {"_schema": invalid.messages}
    return json_error(400, "invalid_request", "the request is malformed", errors=marshmallow_errors(messages))


@bp.errorhandler(RegistryValidationError)
def invalid_registry(invalid: RegistryValidationError) -> Response:
    return json_error(
        400, "invalid_request", "the change breaks registry rules", errors=field_errors(invalid)
    )


@bp.errorhandler(RegistryAdminError)
def refused(refusal: RegistryAdminError) -> Response:
    return json_error(refusal.status, refusal.error, str(refusal))


def _body(schema: Schema, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object body validated by ``schema`` (an empty body is ``{}`` when optional)."""
    raw = request.get_data()
    if optional and not raw:
        return {}
    try:
        data = read_json(raw) if request.is_json else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationError({"_schema": ["the body must be a JSON object (application/json)"]})
    try:
        return schema.load(data)
    except RecursionError:
        raise ValidationError({"_schema": ["the body is nested too deep"]}) from None


def _scope_response(scope: ScopeDefinition, status: int = 200) -> Response:
    response = jsonify(ScopeSchema().dump(scope))
    response.status_code = status
    return response


# --- reads (public) -----------------------------------------------------------------------
@bp.get("/providers")
@operation("List the providers", responses={200: ProviderListSchema})
def list_providers() -> Response:
    return jsonify(ProviderListSchema().dump({"providers": store.registry().providers}))


@bp.get("/providers/<slug>")
@operation("One provider and its scopes", responses={200: ProviderDetailSchema})
def get_provider(slug: str) -> Response:
    known = store.registry()
    provider = known.provider(slug)
    if provider is None:
        return json_error(404, "not_found", f"unknown provider {slug}")
    detail = dataclasses.asdict(provider) | {"scopes": known.scopes_of(slug)}
    return jsonify(ProviderDetailSchema().dump(detail))


@bp.get("/scopes")
@operation("List the scopes", responses={200: ScopeListSchema}, query=ScopeQuerySchema)
def list_scopes() -> Response:
    query = ScopeQuerySchema().load(request.args)
    known = store.registry()
    scopes = known.scopes_of(query["provider"]) if "provider" in query else known.scopes
    return jsonify(ScopeListSchema().dump({"scopes": scopes}))


@bp.get("/scopes/<key>")
@operation("One scope", responses={200: ScopeSchema})
def get_scope(key: str) -> Response:
    scope = store.registry().scope(key)
    if scope is None:
        return json_error(404, "not_found", f"unknown scope {key}")
    return _scope_response(scope)


# --- writes (bearer token with registry_write) --------------------------------------------
@bp.post("/scopes")
@operation("Create a scope", responses={201: ScopeSchema, 409: None}, body=ScopeSchema, write=True)
def create_scope() -> Response:
    actor = require_registry_writer(oauth_request())
    definition = ScopeDefinition(**_body(ScopeSchema()))
    created = admin.create_scope(actor, definition)
    response = _scope_response(created, 201)
    response.headers["Location"] = url_for("api.get_scope", key=created.key)
    return response


@bp.patch("/scopes/<key>")
@operation("Change a scope", responses={200: ScopeSchema}, body=ScopePatchSchema, write=True)
def update_scope(key: str) -> Response:
    actor = require_registry_writer(oauth_request())
    return _scope_response(admin.update_scope(actor, key, _body(ScopePatchSchema())))


@bp.post("/scopes/<key>/deprecate")
@operation("Deprecate a scope", responses={200: ScopeSchema}, body=DeprecationSchema, write=True)
def deprecate_scope(key: str) -> Response:
    actor = require_registry_writer(oauth_request())
    since = _body(DeprecationSchema(), optional=True).get("deprecated_since")
    return _scope_response(admin.deprecate_scope(actor, key, since))


@bp.delete("/scopes/<key>")
@operation("Delete a scope nothing holds", responses={204: None, 409: None}, write=True)
def delete_scope(key: str) -> Response:
    actor = require_registry_writer(oauth_request())
    admin.delete_scope(actor, key)
    return Response(status=204)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document, built once per application."""
    document = current_app.extensions.get("idp_openapi")
    if document is None:
        document = current_app.extensions["idp_openapi"] = openapi_document(current_app, bp.name)
    return jsonify(document)
