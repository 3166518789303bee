"""OpenID Connect for the code flow (OIDC Core §3.1): the ID token.

ID tokens are always signed: RS256 by default, ES256 per client (``none`` is never
accepted), then encrypted to a client that registered ``id_token_encrypted_response_alg``
(OIDC Core §10.2, :mod:`idp.oauth2.jose_answers`). They carry ``iss sub aud exp iat
auth_time nonce acr amr at_hash`` and exactly the claims of the granted identity scopes.
"""

from __future__ import annotations

import time

from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.core.grants.util import validate_nonce
from authlib.oidc.core.util import create_half_hash
from flask import current_app

from idp.oauth2.claims import released_user_info
from idp.oauth2.jose_answers import signed_answer


class OpenIDCode(oidc_grants.OpenIDCode):
    def __call__(self, grant):
        # Prompt, max_age and acr_values are handled by idp.oauth2.authorize, which knows
        # the sign-in session; Authlib only checks the nonce here.
        grant.register_hook("after_create_token_response", self.process_token)
        grant.register_hook("after_validate_authorization_request_payload", self._validate_nonce)

    def _validate_nonce(self, grant, redirect_uri):
        validate_nonce(grant.request, self.exists_nonce, self.require_nonce)

    def exists_nonce(self, nonce, request) -> bool:
        """Nonces are the relying party's replay protection; we carry them, not police them."""
        return False

    def encode_id_token(self, token, request) -> str:
        client = request.client
        code = request.authorization_code
        alg = client.id_token_signed_response_alg or "RS256"
        now = int(time.time())
        claims = {
            "iss": current_app.config["ISSUER"],
            "aud": client.client_id,
            "exp": now + current_app.config["ID_TOKEN_LIFETIME"],
            "iat": now,
        }
        claims.update(self.get_authorization_code_claims(code))
        at_hash = create_half_hash(token["access_token"], alg)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        claims.update(released_user_info(client.sector, request.user, token["scope"]))
        return signed_answer(claims, client, "id_token", alg)
