"""Answers signed for one client, then encrypted to it when it registered encryption.

- Signed with our key ring (:mod:`idp.signing`): the JWS header is ``{alg, kid}`` (plus
  ``typ`` where a specification asks for one), as FranceConnect's.
- Encrypted with joserfc's JWE (RFC 7516 §7.1 compact serialization) to the client's public
  key (:mod:`idp.clients.encryption_keys`): a Nested JWT, signed then encrypted (OIDC Core
  §10.1, §10.2, §16.14), whose JWE header says ``cty: "JWT"`` (RFC 7519 §5.2) and names the
  recipient's key (``kid``, RFC 7516 §4.1.6) when it has one.

Where the answer is an ID token or userinfo, the JWE header also repeats ``iss`` and ``aud``
(RFC 7519 §5.3), as node-oidc-provider and so FranceConnect send them
(``lib/models/id_token.js``). ``/checktoken`` sends ``{alg, enc, cty}`` only: FranceConnect's
(``data-provider.service.ts``, ``generateJwe``) names no key, and a data provider written
for it picks its key by ``kid`` when one is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwe
from joserfc.registry import HeaderParameter

from idp import signing
from idp.clients.encryption_keys import NoEncryptionKey, encryption_key
from idp.models import Client
from idp.oauth2.http import safe_text

#: RFC 7519 §5.2: the content of a Nested JWT's outer token.
NESTED_JWT_CTY = "JWT"
#: OIDC Core §5.3.2: the media type of a signed or encrypted userinfo answer.
JWT_MEDIA_TYPE = "application/jwt"
#: RFC 7519 §5.3: claims that may be repeated as JWE header parameters (joserfc accepts only
#: the header parameters it knows).
REPLICATED_CLAIMS = {
    "iss": HeaderParameter("Issuer, replicated (RFC 7519 §5.3)", "str"),
    "aud": HeaderParameter("Audience, replicated (RFC 7519 §5.3)", "str"),
}


class InvalidClientMetadataError(OAuth2Error):
    """The client's registration cannot be served: it asked for encryption, and no key of
    its own fits (RFC 7591 §3.2.2's code; node-oidc-provider answers so, "no suitable
    encryption key found")."""

    error = "invalid_client_metadata"
    status_code = 400


@dataclass(frozen=True)
class Encryption:
    """A JWE's key management (``alg``) and content encryption (``enc``), RFC 7516 §4.1.1-2."""

    alg: str
    enc: str

    @classmethod
    def registered(cls, client: Client, answer: str) -> Encryption | None:
        """What ``client`` registered for ``answer`` (``userinfo``, ``id_token`` or
        ``checktoken``: its ``<answer>_encrypted_response_alg`` and ``_enc``), or None."""
        alg = getattr(client, f"{answer}_encrypted_response_alg")
        enc = getattr(client, f"{answer}_encrypted_response_enc")
        return cls(alg, enc) if alg and enc else None


def encrypt(jws: str, client: Client, encryption: Encryption, header: dict, name_key: bool) -> str:
    """``jws`` inside a JWE to ``client``'s key; ``header`` adds protected header members,
    ``name_key`` the key's ``kid``.

    A client without a fitting key gets :class:`InvalidClientMetadataError` (its keys changed
    since its registration, which checked them: :mod:`idp.clients.admin`).
    """
    try:
        key = encryption_key(client, encryption.alg)
    except NoEncryptionKey as missing:
        raise InvalidClientMetadataError(description=safe_text(missing)) from None
    protected = {"alg": encryption.alg, "enc": encryption.enc, "cty": NESTED_JWT_CTY, **header}
    if name_key and key.kid:
        protected["kid"] = key.kid
    registry = jwe.JWERegistry(header_registry=REPLICATED_CLAIMS, algorithms=(encryption.alg, encryption.enc))
    return jwe.encrypt_compact(protected, jws, key, registry=registry)


def signed_answer(
    claims: dict,
    client: Client,
    answer: str,
    alg: str,
    *,
    typ: str | None = None,
    header_claims: tuple[str, ...] = ("iss", "aud"),
    name_key: bool = True,
) -> str:
    """``claims`` signed with our ``alg`` key, then encrypted as ``client`` registered for
    ``answer`` (``userinfo``, ``id_token`` or ``checktoken``), with ``header_claims``
    repeated in the JWE header and, when ``name_key``, the recipient key's ``kid``."""
    jws = signing.keyring().sign(claims, alg=alg, typ=typ)
    encryption = Encryption.registered(client, answer)
    if encryption is None:
        return jws
    return encrypt(jws, client, encryption, {name: claims[name] for name in header_claims}, name_key)
