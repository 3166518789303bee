"""Persistence: every table the provider needs, shared by all workers and instances."""

from idp.models.base import utcnow
from idp.models.clients import Client, ClientAssertionJti
from idp.models.consents import Consent
from idp.models.federation import ConnectionEvent, IdentityProvider
from idp.models.habilitations import AuditEvent, Habilitation, WebhookDelivery
from idp.models.keys import SigningKey
from idp.models.registry import RegistryProvider, RegistryScope
from idp.models.tokens import AccessTokenRecord, AuthorizationCode, RefreshToken, RevokedAccessToken
from idp.models.users import LoginSession, LoginThrottle, User

__all__ = [
    "AccessTokenRecord",
    "AuditEvent",
    "AuthorizationCode",
    "Client",
    "ClientAssertionJti",
    "ConnectionEvent",
    "Consent",
    "Habilitation",
    "IdentityProvider",
    "LoginSession",
    "LoginThrottle",
    "RefreshToken",
    "RegistryProvider",
    "RegistryScope",
    "RevokedAccessToken",
    "SigningKey",
    "User",
    "WebhookDelivery",
    "utcnow",
]
