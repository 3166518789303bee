"""Marshmallow schemas of DataPass deliveries and habilitations.

Every schema, nested ones included, ignores unknown fields (``unknown = EXCLUDE``): DataPass
payloads carry many more fields than these and gain new ones over time, and a receiver
that refuses them breaks in production. Only what the rules need is validated. The loaded
values are the domain objects of :mod:`idp.datapass.events`.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from idp.datapass.events import Authorization, FormData, Organization, Snapshot
from idp.models import Habilitation

MODEL_TYPE_PATTERN = r"^authorization_request/[a-z0-9_]+$"
#: Habilitation ids are the ``habilitations.id`` integer column (32 bits on PostgreSQL).
ID_RANGE = validate.Range(min=1, max=2**31 - 1)


class Identifier(fields.Field):
    """A DataPass id sent as a number or a string (``"901"``), kept as a string."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, bool) or not isinstance(value, int | str) or not 0 < len(str(value)) <= 64:
            raise ValidationError("must be an identifier (a number or a string of 1 to 64 characters)")
        return str(value)


class Descriptive(fields.String):
    """Free text kept for the record (a title, an organisation's name), never a reason to refuse.

    Control characters (NUL included, which PostgreSQL text cannot hold) become spaces, and
    the text is cut at the column's ``length``: a delivery that must apply, a revocation
    above all, is not refused because its title is too long for storage.
    """

    def __init__(self, length: int, **kwargs) -> None:
        super().__init__(allow_none=True, load_default=None, **kwargs)
        self.length = length

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        cleaned = "".join(char if char.isprintable() else " " for char in text).strip()
        return cleaned[: self.length] or None


class Dropped(fields.Field):
    """An optional descriptive identifier (``public_id``, a SIRET): kept when it is valid for
    its column, dropped (None) otherwise, never a reason to refuse the delivery."""

    def __init__(self, pattern: str, **kwargs) -> None:
        super().__init__(allow_none=True, load_default=None, **kwargs)
        self.pattern = re.compile(pattern)

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str | None:
        return value if isinstance(value, str) and self.pattern.fullmatch(value) else None


class LenientSchema(Schema):
    class Meta:
        unknown = EXCLUDE


class FormDataSchema(LenientSchema):
    scopes = fields.List(fields.String(validate=validate.Length(1, 255)), load_default=list)
    intitule = Descriptive(Habilitation.intitule.type.length)
    modalities = fields.List(fields.String(), allow_none=True, load_default=list)
    france_connect_authorization_id = Identifier(allow_none=True, load_default=None)
    france_connect_eidas = fields.String(allow_none=True, load_default=None)

    @post_load
    def build(self, values: dict, **kwargs) -> FormData:
        return FormData(
            scopes=tuple(dict.fromkeys(values["scopes"])),
            intitule=values["intitule"],
            modalities=tuple(values["modalities"] or ()),
            france_connect_authorization_id=values["france_connect_authorization_id"],
            france_connect_eidas=values["france_connect_eidas"],
        )


class AuthorizationSchema(LenientSchema):
    id = Identifier(required=True)
    state = fields.String(allow_none=True, load_default=None)
    revoked = fields.Boolean(allow_none=True, load_default=False)
    definition_id = fields.String(allow_none=True, load_default=None)
    data = fields.Nested(FormDataSchema, allow_none=True, load_default=FormData)

    @post_load
    def build(self, values: dict, **kwargs) -> Authorization:
        return Authorization(
            id=values["id"],
            state=values["state"],
            revoked=bool(values["revoked"]),
            definition_id=values["definition_id"],
            data=values["data"] or FormData(),
        )


class OrganizationSchema(LenientSchema):
    name = Descriptive(Habilitation.organization_name.type.length)
    siret = Dropped(r"\d{14}")

    @post_load
    def build(self, values: dict, **kwargs) -> Organization:
        return Organization(**values)


class HabilitationSchema(LenientSchema):
    """An authorization request: the ``data`` of a delivery, or one item of an import file."""

    id = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    public_id = Dropped(r"[\x21-\x7e]{1,64}")
    state = Dropped(r"[a-z_]{1,32}")
    type = fields.String(allow_none=True, load_default=None)
    data = fields.Nested(FormDataSchema, allow_none=True, load_default=FormData)
    organization = fields.Nested(OrganizationSchema, allow_none=True, load_default=None)
    authorizations = fields.List(fields.Nested(AuthorizationSchema), allow_none=True, load_default=None)
    created_at = fields.String(allow_none=True, load_default=None)
    updated_at = fields.String(allow_none=True, load_default=None)
    last_submitted_at = fields.String(allow_none=True, load_default=None)
    last_validated_at = fields.String(allow_none=True, load_default=None)

    @post_load
    def build(self, values: dict, **kwargs) -> Snapshot:
        authorizations = values["authorizations"]
        return Snapshot(
            id=values["id"],
            public_id=values["public_id"],
            state=values["state"],
            type=values["type"],
            data=values["data"] or FormData(),
            organization=values["organization"],
            authorizations=tuple(authorizations) if authorizations is not None else None,
            timestamps=tuple(
                values[name]
                for name in ("created_at", "updated_at", "last_submitted_at", "last_validated_at")
                if values[name]
            ),
        )


class EnvelopeSchema(LenientSchema):
    """What every delivery carries, whatever its event; enough to record it."""

    event = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]{1,64}$"))
    fired_at = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**63 - 1))
    model_type = fields.String(
        required=True, validate=[validate.Length(max=128), validate.Regexp(MODEL_TYPE_PATTERN)]
    )
    model_id = fields.Integer(required=True, strict=True, validate=ID_RANGE)


class DeliverySchema(EnvelopeSchema):
    """A delivery of a known event: the envelope and the request's snapshot."""

    data = fields.Nested(HabilitationSchema, required=True)

    @validates_schema
    def same_model(self, values: dict, **kwargs) -> None:
        if values["data"].id != values["model_id"]:
            raise ValidationError("must equal model_id", "data.id")


def definition_of(model_type: str) -> str:
    """``authorization_request/api_impot_particulier`` → ``api_impot_particulier``."""
    return model_type.split("/", 1)[1]
