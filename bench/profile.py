"""``python -m bench.profile [token|introspect|checktoken|jwks|flow] [-n N] [--postgres]``: where
a hot path spends its time, in process (the WSGI application called directly, no server),
with cProfile, and how many SQL statements each request (or flow) runs (on SQLite, whose
trace callback sees them all; with ``--postgres`` the application talks to a throwaway
loopback cluster, and only the time is reported).

``flow`` is the citizen's code flow as ``bench`` drives it (:mod:`bench.fixtures`): a
citizen signed in and consented once through the pages, then per flow ``GET /authorize``
(302 with a code), ``POST /token`` and ``GET /userinfo``, with opaque access tokens as there
(:data:`bench.workloads.FLOW_SETTINGS`).

The server adds Granian's own cost on top; this isolates the application's.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import pstats
import re
import tempfile
import time
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import event
from werkzeug.test import EnvironBuilder

from bench import postgres
from bench.fixtures import CITIZEN, FLOW_REDIRECT_URI, FLOW_SCOPE, basic, flow_requests
from bench.workloads import FLOW_SETTINGS
from idp import create_app
from idp.citizens.users import create_user
from idp.clients.admin import ClientSettings, create_client
from idp.database import upgrade_schema
from idp.demo.seed import DEMO_CITIZENS, MACHINE_SCOPES
from idp.extensions import db
from idp.operations.embedded import prepare_embedded
from idp.registry.transfer import import_registry_file


class WsgiCall:
    """One prepared request, sent straight to the WSGI callable; returns the status line."""

    def __init__(self, app, method: str, path: str, body: str = "", headers: dict | None = None) -> None:
        self.app = app
        self.environ = EnvironBuilder(method=method, path=path, data=body, headers=headers).get_environ()
        self.body = body.encode()

    def __call__(self) -> str:
        environ = dict(self.environ, **{"wsgi.input": io.BytesIO(self.body)})
        started = []
        chunks = self.app(environ, lambda line, headers, _exc=None: started.append((line, headers)))
        self.last_body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        status, self.last_headers = started[0]
        return status


class Flow:
    """The citizen's code flow, three WSGI calls; "200 OK" when all three answered as they
    should. The sign-in and consent happen once, through the pages (Flask's test client)."""

    def __init__(self, app, service: tuple[str, str]) -> None:
        self.app = app
        self.authorize_path, self.token_body = flow_requests(service[0])
        browser = app.test_client()
        page = browser.get(self.authorize_path, follow_redirects=True)
        page = browser.post(
            page.request.path,
            data={"csrf_token": _csrf(page), "username": CITIZEN[0], "password": CITIZEN[1]},
            follow_redirects=True,
        )
        page = browser.post(page.request.full_path, data={"csrf_token": _csrf(page), "decision": "accept"})
        page = browser.get(page.headers["Location"])  # back to /authorize, now consented
        if not page.headers.get("Location", "").startswith(FLOW_REDIRECT_URI):
            raise RuntimeError(f"consent did not return to the service: {page.status}")
        cookie = "; ".join(f"{item.key}={item.value}" for item in browser._cookies.values())
        self.authorize = WsgiCall(app, "GET", self.authorize_path, headers={"Cookie": cookie})
        self.authorization = basic(*service)

    def __call__(self) -> str:
        if not self.authorize().startswith("302 "):
            return "authorize: " + self.authorize.last_body.decode()[:200]
        location = dict(self.authorize.last_headers)["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        form = {"Authorization": self.authorization, "Content-Type": "application/x-www-form-urlencoded"}
        token = WsgiCall(self.app, "POST", "/token", self.token_body + "&code=" + code, form)
        if token() != "200 OK":
            return "token: " + token.last_body.decode()[:200]
        bearer = {"Authorization": "Bearer " + json.loads(token.last_body)["access_token"]}
        return WsgiCall(self.app, "GET", "/userinfo", headers=bearer)()


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def _requests(app, key: str, service: tuple[str, str], provider: tuple[str, str]):
    if key == "flow":
        return Flow(app, service)
    form = "application/x-www-form-urlencoded"
    token_body = urlencode({"grant_type": "client_credentials", "scope": "dgfip_statistiques"})
    get_token = WsgiCall(
        app, "POST", "/token", token_body, {"Authorization": basic(*service), "Content-Type": form}
    )
    if key == "token":
        return get_token
    if key == "jwks":
        return WsgiCall(app, "GET", "/jwks")
    get_token()
    token = json.loads(get_token.last_body)["access_token"]
    if key == "introspect":
        headers = {"Authorization": basic(*provider), "Content-Type": form}
        return WsgiCall(app, "POST", "/introspect", urlencode({"token": token}), headers)
    body = urlencode({"token": token, "client_id": provider[0], "client_secret": provider[1]})
    return WsgiCall(app, "POST", "/checktoken", body, {"Content-Type": form})


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("workload", choices=["token", "introspect", "checktoken", "jwks", "flow"])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL cluster, not SQLite"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        settings = {"INSTANCE_PATH": tmp, "ACCESS_TOKEN_LIFETIME": 3600}
        if args.workload == "flow":
            settings.update({name.removeprefix("IDP_"): value for name, value in FLOW_SETTINGS.items()})
        if args.postgres:
            settings["DATABASE_URL"] = stack.enter_context(postgres.cluster())
        app = create_app(settings)
        if args.postgres:
            upgrade_schema(app)
        prepare_embedded(app)
        with app.app_context():
            import_registry_file()
            import_registry_file(MACHINE_SCOPES)
            create_user(password=CITIZEN[1], **DEMO_CITIZENS[0])
            service, secret = create_client(
                ClientSettings(
                    name="fs",
                    auth_method="client_secret_basic",
                    redirect_uris=[FLOW_REDIRECT_URI],
                    operator_scope_override=["dgfip_statistiques", *FLOW_SCOPE.split()],
                )
            )
            provider, provider_secret = create_client(
                ClientSettings(name="fd", role="data-provider", namespace="dgfip")
            )
            ids = (service.client_id, secret), (provider.client_id, provider_secret)
        send = _requests(app, args.workload, *ids)
        for _ in range(200):
            answer = send()
            assert answer == "200 OK", answer
        statements = None if args.postgres else _count_statements(app, send)
        cpu_started = time.process_time()
        for _ in range(args.n):
            send()
        cpu = time.process_time() - cpu_started
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            send()
        profiler.disable()
    unit = "flow" if args.workload == "flow" else "request"
    print(f"{args.workload}: {cpu * 1e6 / args.n:,.0f} µs of CPU per {unit} (WSGI calls, one thread)")
    if statements is not None:  # counted by SQLite's trace callback (_count_statements)
        print(f"{args.workload}: {statements:g} SQL statements per {unit}")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


def _count_statements(app, send, times: int = 50) -> float:
    """SQL statements per call of ``send`` (caches warm), as SQLite runs them: its trace
    callback sees every statement, the lean path's raw ones and ``BEGIN``/``COMMIT``
    included, where SQLAlchemy's events would miss the former."""
    statements: list[str] = []

    def on_checkout(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    def on_checkin(dbapi_connection, _record) -> None:
        dbapi_connection.set_trace_callback(None)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    app.extensions.pop("idp_thread_connections", None)  # the lean path's: opened again, traced
    try:
        for _ in range(times):
            send()
    finally:
        event.remove(engine, "checkout", on_checkout)
        event.remove(engine, "checkin", on_checkin)
    return len(statements) / times


if __name__ == "__main__":
    main()
