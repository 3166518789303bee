"""The ``claims`` request parameter (OIDC Core §5.5): individual claims a service asks for.

It is a JSON object whose members ``id_token`` and ``userinfo`` each map claim names to
``null`` or to ``{"essential": bool, "value": ..., "values": [...]}``. Two requests matter
here, as they do to FranceConnect:

- ``amr``, which FranceConnect releases only to a service that asks for it
  (``quality/fcp/cypress/integration/usager/connexion-claims.feature``: "claim AMR absent
  si non demandé"), and only to a service allowed it (``overrideClaimAmrMiddleware``);
- an essential ``acr`` with ``value``/``values`` (OIDC Core §5.5.1.1), which raises the
  level the sign-in must reach as ``acr_values`` does.

Malformed JSON, or members of the wrong shape, are ``invalid_request`` (FranceConnect's
``OidcProviderParseJsonClaimsException``); unknown claim names are ignored, as §5.5 allows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MEMBERS = ("id_token", "userinfo")


class MalformedClaimsRequest(ValueError):
    """The ``claims`` parameter is not a claims request; the message says why."""


@dataclass(frozen=True)
class ClaimsRequest:
    """The parsed parameter: per member, each claim's request object (``{}`` for ``null``)."""

    members: dict[str, dict[str, dict]] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str | None) -> ClaimsRequest:
        if raw is None:
            return cls()
        try:
            document = json.loads(raw)
        except ValueError as error:
            raise MalformedClaimsRequest("claims is not valid JSON") from error
        if not isinstance(document, dict):
            raise MalformedClaimsRequest("claims must be a JSON object")
        members = {}
        for member in MEMBERS:
            requested = document.get(member)
            if requested is None:
                continue
            if not isinstance(requested, dict):
                raise MalformedClaimsRequest(f"claims.{member} must be an object")
            members[member] = {
                name: _request_object(member, name, value) for name, value in requested.items()
            }
        return cls(members)

    def asks_for(self, claim: str) -> bool:
        """The claim is requested in the ID token or at userinfo."""
        return any(claim in requested for requested in self.members.values())

    def essential_acr_values(self) -> list[str]:
        """The levels of an essential ``acr`` request in the ID token (OIDC Core §5.5.1.1)."""
        acr = self.members.get("id_token", {}).get("acr", {})
        if not acr.get("essential"):
            return []
        values = acr.get("values") if "values" in acr else [acr["value"]] if "value" in acr else []
        return [value for value in values if isinstance(value, str)]


def _request_object(member: str, name: str, value: object) -> dict:
    """``null`` or an object with ``essential`` (a boolean), ``value`` or ``values`` (a list)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedClaimsRequest(f"claims.{member}.{name} must be null or an object")
    if "essential" in value and not isinstance(value["essential"], bool):
        raise MalformedClaimsRequest(f"claims.{member}.{name}.essential must be a boolean")
    if "values" in value and not isinstance(value["values"], list):
        raise MalformedClaimsRequest(f"claims.{member}.{name}.values must be an array")
    return value
