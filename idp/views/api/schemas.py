"""Marshmallow schemas of the registry API: request validation, responses, and the OpenAPI document.

Field limits are those of the ``scope-registry/1`` format (:mod:`scopes.document`) and of the
registry tables; labels exist in French (required) and English, the languages stored.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from idp.registry.admin import MAX_STORED_SLUG_LENGTH
from scopes import MAX_KEY_LENGTH, ProviderKind
from scopes.document import (
    _CLAIM_PATTERN,  # the claim-name grammar of the registry format, kept in one place
    MAX_CLAIM_LENGTH,
    MAX_CLAIMS,
    MAX_DESCRIPTION_LENGTH,
    MAX_LABEL_LENGTH,
)


class FullMatch(validate.Regexp):
    """``validate.Regexp`` matching the whole value (it only anchors the start)."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


_NO_NUL = FullMatch(r"^[^\x00]*$", error="must not contain a NUL character")
_CLAIM_NAME = FullMatch(f"^{_CLAIM_PATTERN.pattern}$", error="must be a claim name")


def _text(max_length: int, **options) -> fields.String:
    return fields.String(validate=[validate.Length(min=1, max=max_length), _NO_NUL], **options)


class LabelsSchema(Schema):
    """Consent-screen labels by language (the citizen sees them, never the key)."""

    fr = _text(MAX_LABEL_LENGTH, required=True)
    en = _text(MAX_LABEL_LENGTH)


class _ScopeFields(Schema):
    description = _text(MAX_DESCRIPTION_LENGTH, allow_none=True)
    group = _text(MAX_LABEL_LENGTH, allow_none=True)
    claims = fields.List(
        fields.String(
            validate=[
                validate.Length(min=1, max=MAX_CLAIM_LENGTH),
                _CLAIM_NAME,
            ]
        ),
        validate=validate.Length(max=MAX_CLAIMS),
        metadata={"description": "OIDC claims released (identity scopes only; OIDC Core §5.4)."},
    )
    legacy = fields.Boolean(
        metadata={"description": "An existing production key exempt from the new-key grammar."}
    )
    machine = fields.Boolean(
        metadata={
            "description": "Usable by client_credentials: the scope describes no citizen's data. "
            "Every other scope is only granted with a citizen's consent."
        }
    )
    deprecated_since = fields.Date(
        allow_none=True,
        metadata={"description": "From this date on the scope is refused with invalid_scope."},
    )


class ScopeSchema(_ScopeFields):
    """A scope of the registry (also the body that creates one).

    Loading gives the keyword arguments of :class:`scopes.ScopeDefinition` (``label`` → ``labels``).
    """

    key = _text(MAX_KEY_LENGTH, required=True, metadata={"example": "dgfip_rfr"})
    provider = _text(MAX_STORED_SLUG_LENGTH, required=True, metadata={"example": "dgfip"})
    label = fields.Nested(LabelsSchema, required=True, attribute="labels")


class ScopePatchSchema(_ScopeFields):
    """The fields of a scope to change; the key is in the URL and does not change."""

    provider = _text(MAX_STORED_SLUG_LENGTH)
    label = fields.Nested(LabelsSchema, attribute="labels")


class DeprecationSchema(Schema):
    """When a scope stops being grantable (today when absent)."""

    deprecated_since = fields.Date()


class ProviderSchema(Schema):
    """A scope provider: FranceConnect (identity) or a data provider owning a namespace."""

    slug = fields.String(required=True)
    namespace = fields.String(allow_none=True, required=True)
    label = fields.String(required=True)
    label_en = fields.String()
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in ProviderKind]))


class ProviderDetailSchema(ProviderSchema):
    scopes = fields.List(fields.Nested(ScopeSchema), required=True)


class ProviderListSchema(Schema):
    providers = fields.List(fields.Nested(ProviderSchema), required=True)


class ScopeListSchema(Schema):
    scopes = fields.List(fields.Nested(ScopeSchema), required=True)


class ScopeQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # other query parameters are ignored

    provider = fields.String(metadata={"description": "Only the scopes of this provider (slug)."})


class ErrorSchema(Schema):
    """An OAuth-style error (RFC 6749 §5.2 names), with field errors for a malformed body."""

    error = fields.String(required=True)
    error_description = fields.String()
    errors = fields.Dict(metadata={"description": "Problems by field: {field: [messages]}."})
