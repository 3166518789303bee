"""Public keys published at a ``jwks_uri`` (a client's, RFC 7591 §2; an identity provider's),
fetched with limits.

A key set is kept for :data:`TTL_SECONDS`, and fetched again at once when an assertion
names a ``kid`` it does not hold, as PyJWT's ``PyJWKClient`` does, so that a client's key
rotation works from its first assertion. Those early refetches are rate-limited per URI
(:data:`MIN_REFETCH_SECONDS`): assertions with made-up ``kid`` values cannot turn this
server into a flood against the client's host. ``PyJWKClient`` itself is not used: it has
no limit on the response size (a hostile ``jwks_uri`` can send gigabytes into a worker),
follows redirects, and does not rate-limit refetches.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from idp.extensions import per_app
from idp.outbound.documents import DocumentUnavailable, fetch_json

TTL_SECONDS = 300
MIN_REFETCH_SECONDS = 10


@dataclass
class _Fetched:
    document: dict
    at: float
    #: When a refetch for an unknown ``kid`` last happened (None: never).
    refetched_at: float | None = None

    def may_refetch(self, now: float) -> bool:
        return self.refetched_at is None or now - self.refetched_at >= MIN_REFETCH_SECONDS

    def has_kid(self, kid: object) -> bool:
        return any(isinstance(key, dict) and key.get("kid") == kid for key in self.document["keys"])


def _download(uri: str) -> dict:
    """One GET (:func:`~idp.outbound.documents.fetch_json`), which must be a JWK Set (RFC 7517 §5)."""
    document = fetch_json(uri)
    if not isinstance(document.get("keys"), list):
        raise DocumentUnavailable(f"{uri}: not a JWK set")
    return document


class RemoteKeySets:
    """The key sets of ``jwks_uri`` clients, per process."""

    def __init__(self) -> None:
        self._fetched: dict[str, _Fetched] = {}
        self._lock = threading.Lock()

    def get(self, uri: str) -> dict:
        """The key set, from the cache while it is younger than :data:`TTL_SECONDS`;
        :class:`~idp.outbound.documents.DocumentUnavailable` when it cannot be fetched."""
        fetched = self._fetched.get(uri)
        if fetched is None or time.monotonic() - fetched.at >= TTL_SECONDS:
            fetched = self._fetch(uri)
        return fetched.document

    def refetch_for(self, uri: str, kid: object) -> bool:
        """Fetch again because ``kid`` is unknown; True when the new set has it.

        Such refetches happen at most once every :data:`MIN_REFETCH_SECONDS` per URI, and
        not at all when the cached set already holds that ``kid`` (the failure was
        something else).
        """
        fetched = self._fetched.get(uri)
        now = time.monotonic()
        if fetched is not None and (fetched.has_kid(kid) or not fetched.may_refetch(now)):
            return False
        return self._fetch(uri, refetched_at=now).has_kid(kid)

    def _fetch(self, uri: str, refetched_at: float | None = None) -> _Fetched:
        previous = self._fetched.get(uri)
        if refetched_at is None and previous is not None:
            refetched_at = previous.refetched_at
        fetched = _Fetched(_download(uri), time.monotonic(), refetched_at)
        with self._lock:
            self._fetched[uri] = fetched
        return fetched


def remote_key_sets() -> RemoteKeySets:
    return per_app("idp_remote_key_sets", lambda _app: RemoteKeySets())
