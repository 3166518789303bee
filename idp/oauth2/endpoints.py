"""The machine endpoints: path, methods and the function that answers, in one table.

Both adapters serve exactly this table: the Flask views (:mod:`idp.views.oauth`) and the
lean WSGI path (:mod:`idp.hotpath`). Each function takes an
:class:`~idp.oauth2.http.OAuthRequest` and returns an :class:`~idp.oauth2.http.EndpointResponse`
or raises an ``OAuth2Error`` (:func:`~idp.oauth2.http.dispatch` renders it). The
interactive endpoints, ``/authorize`` and ``/logout``, need the citizen's browser session
and are Flask views only (:mod:`idp.views.authorize`, :mod:`idp.views.logout`).
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.oauth2 import checktoken, introspection, jwks, revocation, token_endpoint, userinfo
from idp.oauth2.http import Endpoint
from idp.paths import ENDPOINT_PATHS


@dataclass(frozen=True)
class MachineEndpoint:
    name: str
    methods: tuple[str, ...]
    answer: Endpoint

    @property
    def path(self) -> str:
        return ENDPOINT_PATHS[self.name]


MACHINE_ENDPOINTS = (
    MachineEndpoint("token_endpoint", ("POST",), token_endpoint.token),
    MachineEndpoint("introspection_endpoint", ("POST",), introspection.endpoint),
    MachineEndpoint("checktoken_endpoint", ("POST",), checktoken.endpoint),
    MachineEndpoint("franceconnect_checktoken_endpoint", ("POST",), checktoken.endpoint),
    MachineEndpoint("revocation_endpoint", ("POST",), revocation.endpoint),
    MachineEndpoint("userinfo_endpoint", ("GET", "POST"), userinfo.userinfo),
    MachineEndpoint("jwks_uri", ("GET",), jwks.endpoint),
)
