"""Registering identity providers for the federation tests, through ``idp identity-providers``."""

from __future__ import annotations

import json

#: Nothing listens on the discard port of the loopback: discovery fails at once.
UNREACHABLE = "http://127.0.0.1:9/.well-known/openid-configuration"


def providers_cli(runner, *args: str):
    return runner.invoke(args=["identity-providers", *args])


def add_provider(runner, name: str, *options: str, title: str | None = None) -> dict:
    """``add`` with a secret, an unreachable discovery URL unless given, and ``--json``."""
    defaults = ["--discovery-url", UNREACHABLE] if "--discovery-url" not in options else []
    if "--auth-method" not in options and "--client-secret" not in options:
        defaults += ["--client-secret", f"secret-of-{name}-at-the-provider"]
    result = providers_cli(
        runner, "add", "--name", name, "--title", title or f"Compte {name}",
        "--client-id", f"hub-at-{name}", *defaults, *options, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)
