"""The protocol's own request and response objects, shared by both adapters.

Authlib splits a server the same way (``authlib.integrations.flask_oauth2``:
``create_oauth2_request`` and ``handle_response``): the protocol works on a small request
object and returns a status, a body and headers, and a framework adapter turns its own
request into that object and the answer into its own response. Here the two adapters are
the Flask views (:mod:`idp.views.oauth`) and the lean WSGI path (:mod:`idp.hotpath`); every
endpoint function takes an :class:`OAuthRequest` and returns an :class:`EndpointResponse`,
or raises :class:`~authlib.oauth2.rfc6749.errors.OAuth2Error`, which :func:`error_response`
renders, the one place errors are rendered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from werkzeug.datastructures import CombinedMultiDict, Headers, MultiDict

#: RFC 6749 §5.1, RFC 7662 §2.2, OIDC Core §5.3.2: answers carrying tokens or personal data
#: are never stored by a cache.
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
JSON_MEDIA_TYPE = "application/json"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class OAuthPayload(OAuth2Payload):
    """The request's parameters, query and body together (Authlib's Flask payload does the same)."""

    def __init__(self, args: MultiDict, form: MultiDict) -> None:
        self._parts = (args, form)

    @cached_property
    def data(self) -> CombinedMultiDict:
        return CombinedMultiDict(self._parts)

    @property
    def datalist(self) -> defaultdict[str, list]:
        values: defaultdict[str, list] = defaultdict(list)
        for key, items in self.data.lists():
            values[key].extend(items)
        return values


class OAuthRequest(OAuth2Request):
    """An HTTP request as the protocol sees it, whichever adapter built it.

    ``uri`` is the endpoint's public URL (the issuer and the path, which is also what TLS
    termination in front of us serves). ``args`` and ``form`` are multi-dicts, so that
    repeated parameters stay visible (RFC 6749 §3.1). Beside Authlib's own state of the
    request (``client``, ``user``, ``authorization_code``...), it carries ours, set by the
    step that knows it and read by the steps after it:

    - ``interaction``: at ``/authorize``, the citizen's sign-in and consent
      (:class:`idp.oauth2.authorize_checks.Interaction`);
    - ``grant``: at ``/token``, what the tokens are issued under
      (:class:`idp.oauth2.tokens.GrantContext`);
    - ``issued_claims``: the claims of the access token just signed, for its record.
    """

    def __init__(self, method: str, uri: str, headers: Headers, args: MultiDict, form: MultiDict) -> None:
        """Authlib's constructor, less two costs that buy nothing here (its own attributes are
        set all the same; ``tests/idp/oauth2/test_http.py`` holds them equal):

        - ``InsecureTransportError.check(uri)``: ``uri`` is built on the issuer, which
          :func:`idp.config.validate_config` already requires to be https (or http on
          loopback, where the check parses the host as an IP address: 10 to 30 µs);
        - ``headers or {}``, which counts the environ's headers one by one.
        """
        self.method = method
        self.uri = uri
        self.headers = headers
        self._body = None
        self.client = None
        self.auth_method = None
        self.user = None
        self.authorization_code = None
        self.refresh_token = None
        self.credential = None
        self._scope = None
        self._args = args
        self._form = form
        self.payload: OAuthPayload = OAuthPayload(args, form)
        self.interaction = None
        self.grant = None
        self.issued_claims: dict | None = None

    @property
    def args(self) -> MultiDict:
        return self._args

    @property
    def form(self) -> MultiDict:
        return self._form

    @cached_property
    def media_type(self) -> str:
        """The body's media type, lower case, without parameters (RFC 9110 §8.3.1)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def repeated_parameters(self) -> list[str]:
        """Names sent more than once, in the query or the body (RFC 6749 §3.1).

        A multi-dict keeps a list per name (``dict.items`` reads them without copying).
        """
        repeated = {
            name for part in (self._args, self._form) for name, values in dict.items(part) if len(values) > 1
        }
        if self._args and self._form:
            repeated.update(self._args.keys() & self._form.keys())
        return sorted(repeated)


class EndpointResponse:
    """A status, a body and headers; ``location`` is the ``Location`` header (Authlib sets it)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: Iterable[tuple[str, str]]) -> None:
        self.status = status
        self.body = body
        self.headers = list(headers)

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name == "Location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(name, item) for name, item in self.headers if name != "Location"]
        self.headers.append(("Location", value))

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def safe_text(value: object, limit: int | None = None) -> str:
    """``value`` made safe to quote in an ``error_description`` (RFC 6749 §5.2).

    The description may only hold %x20-21 / %x23-5B / %x5D-7E; anything else is replaced by
    ``?``, and the text is cut at ``limit`` characters, so that echoing hostile input in an
    error never fails (Authlib refuses such descriptions with a ``ValueError``).
    """
    text = str(value)[:limit]
    bad = set(invalid_error_characters(text))
    return "".join("?" if char in bad else char for char in text) if bad else text


class JSONError(OAuth2Error):
    """Any JSON error answer, ``{"error", "error_description", ...extra}`` (RFC 6749 §5.2 style).

    For the errors that are not one of Authlib's classes: HTTP errors of the pages' routes,
    the registry API's field errors, the webhook's refusals. The description is made safe
    (:func:`safe_text`); ``headers`` are added to the answer (``Retry-After``).
    """

    def __init__(
        self,
        status: int,
        error: str,
        description: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        **extra: object,
    ) -> None:
        super().__init__(
            description=safe_text(description) if description else None, status_code=status, error=error
        )
        self.extra_headers = list(headers)
        self.extra = extra

    def get_body(self) -> list[tuple[str, object]]:
        return [*super().get_body(), *self.extra.items()]

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), *self.extra_headers]


def respond(
    body: bytes, media_type: str, headers: Iterable[tuple[str, str]] = NO_STORE, status: int = 200
) -> EndpointResponse:
    return EndpointResponse(status, body, [("Content-Type", media_type), *headers])


def json_response(
    payload: object,
    headers: Iterable[tuple[str, str]] = NO_STORE,
    media_type: str = JSON_MEDIA_TYPE,
    status: int = 200,
) -> EndpointResponse:
    """Compact JSON (RFC 8259), UTF-8, never cached unless ``headers`` say otherwise."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return respond(body, media_type, headers, status)


def authlib_response(status: int, body: object, headers: Iterable[tuple[str, str]]) -> EndpointResponse:
    """What Authlib returns, ``(status, body, headers)``, with a dict body encoded as JSON."""
    if isinstance(body, dict):
        body = json.dumps(body, separators=(",", ":"))
    encoded = body.encode() if isinstance(body, str) else bytes(body or b"")
    return EndpointResponse(status, encoded, headers)


def error_response(error: OAuth2Error) -> EndpointResponse:
    """Every protocol error: RFC 6749 §5.2 JSON (or §4.1.2.1 redirect), never cached.

    The error's own headers come first (``WWW-Authenticate``, ``Retry-After``), then the
    ``no-store`` pair when the error did not set it.
    """
    status, body, headers = error()
    names = {name.lower() for name, _ in headers}
    extra = [(name, value) for name, value in NO_STORE if name.lower() not in names]
    return authlib_response(status, body, [*headers, *extra])


Endpoint = Callable[[OAuthRequest], EndpointResponse]


#: How Authlib refuses to build an error whose description holds characters RFC 6749 §5.2
#: forbids (``authlib.oauth2.base.OAuth2Error``): a ``ValueError`` starting so.
_UNRENDERABLE = "Error description contains forbidden characters"


def unrenderable_error(error: ValueError) -> OAuth2Error | None:
    """The ``invalid_request`` to answer instead of an error Authlib could not build.

    Our own descriptions are made safe where they quote the request (:func:`safe_text`), and
    the parameters Authlib quotes are checked against their syntax first
    (:data:`idp.oauth2.checks.PARAMETER_SYNTAX`); this catches what those missed, at the one
    place errors are rendered, rather than answering 500.
    """
    if not str(error).startswith(_UNRENDERABLE):
        return None
    return InvalidRequestError("a parameter holds characters its syntax does not allow")


def dispatch(endpoint: Endpoint, request: OAuthRequest) -> EndpointResponse:
    """Run ``endpoint``; an :class:`OAuth2Error` it raises becomes its error response."""
    try:
        return endpoint(request)
    except OAuth2Error as error:
        return error_response(error)
    except ValueError as error:
        substitute = unrenderable_error(error)
        if substitute is None:
            raise
        return error_response(substitute)
