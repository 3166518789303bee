"""``python -m bench.profile [token|introspect|checktoken|jwks] [-n N]``: where a hot path
spends its time, in process (Flask test client, no server, no network), with cProfile.

The server adds Granian's own cost on top; this isolates the application's.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from urllib.parse import urlencode

from bench.fixtures import basic
from idp import create_app, database
from idp.client_admin import ClientSettings, create_client
from idp.demo_seed import import_registry_file


def _requests(client, key: str, service: tuple[str, str], provider: tuple[str, str]):
    token_body = urlencode({"grant_type": "client_credentials", "scope": "dgfip_rfr"})
    token_headers = {"Authorization": basic(*service), "Content-Type": "application/x-www-form-urlencoded"}
    if key == "token":
        return lambda: client.post("/token", data=token_body, headers=token_headers)
    if key == "jwks":
        return lambda: client.get("/jwks")
    token = client.post("/token", data=token_body, headers=token_headers).get_json()["access_token"]
    if key == "introspect":
        headers = {"Authorization": basic(*provider), "Content-Type": "application/x-www-form-urlencoded"}
        body = urlencode({"token": token})
        return lambda: client.post("/introspect", data=body, headers=headers)
    body = urlencode({"token": token, "client_id": provider[0], "client_secret": provider[1]})
    return lambda: client.post(
        "/checktoken", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("workload", choices=["token", "introspect", "checktoken", "jwks"])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "ACCESS_TOKEN_LIFETIME": 3600})
        database.prepare_embedded(app)
        with app.app_context():
            import_registry_file()
            service, secret = create_client(
                ClientSettings(
                    name="fs", auth_method="client_secret_basic", operator_scope_override=["dgfip_rfr"]
                )
            )
            provider, provider_secret = create_client(
                ClientSettings(name="fd", role="data-provider", namespace="dgfip")
            )
            ids = (service.client_id, secret), (provider.client_id, provider_secret)
        send = _requests(app.test_client(), args.workload, *ids)
        for _ in range(200):
            assert send().status_code == 200
        cpu_started = time.process_time()
        for _ in range(args.n):
            send()
        cpu = time.process_time() - cpu_started
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.n):
            send()
        profiler.disable()
    print(f"{args.workload}: {cpu * 1e6 / args.n:,.0f} µs of CPU per request (test client, one thread)")
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
