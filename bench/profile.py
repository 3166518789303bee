"""``python -m bench.profile [token|introspect|checktoken|jwks] [-n N]``: where a hot path
spends its time, in process (the WSGI application called directly, no server, no network),
with cProfile.

The server adds Granian's own cost on top; this isolates the application's.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import tempfile
import time
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder

from bench.fixtures import basic
from idp import create_app
from idp.clients.admin import ClientSettings, create_client
from idp.demo.seed import MACHINE_SCOPES
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
        status = []
        chunks = self.app(environ, lambda line, _headers, _exc=None: status.append(line))
        self.last_body = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        return status[0]


def _requests(app, key: str, service: tuple[str, str], provider: tuple[str, str]) -> WsgiCall:
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
    parser.add_argument("workload", choices=["token", "introspect", "checktoken", "jwks"])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "ACCESS_TOKEN_LIFETIME": 3600})
        prepare_embedded(app)
        with app.app_context():
            import_registry_file()
            import_registry_file(MACHINE_SCOPES)
            service, secret = create_client(
                ClientSettings(
                    name="fs",
                    auth_method="client_secret_basic",
                    operator_scope_override=["dgfip_statistiques"],
                )
            )
            provider, provider_secret = create_client(
                ClientSettings(name="fd", role="data-provider", namespace="dgfip")
            )
            ids = (service.client_id, secret), (provider.client_id, provider_secret)
        send = _requests(app, args.workload, *ids)
        for _ in range(200):
            assert send() == "200 OK"
        cpu_started = time.process_time()
        for _ in range(args.n):
            send()
        cpu = time.process_time() - cpu_started
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            send()
        profiler.disable()
    print(f"{args.workload}: {cpu * 1e6 / args.n:,.0f} µs of CPU per request (WSGI call, one thread)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
