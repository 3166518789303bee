"""``idp scopes import|export|list``: idempotent import, all-or-nothing with every problem listed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from idp.registry.transfer import BUNDLED_REGISTRY as REGISTRY_FILE
from tests.conftest import template_registry_document

NEW_SCOPE = {"key": "cnous_bourse", "provider": "cnous", "label": {"fr": "Statut boursier"}}


def exported(runner) -> dict:
    result = runner.invoke(args=["scopes", "export"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def write(tmp_path: Path, document: object, name: str = "registry.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_twice_second_run_changes_nothing(runner, tmp_path):
    document = exported(runner)
    document["scopes"].append(NEW_SCOPE)
    path = write(tmp_path, document)
    first = runner.invoke(args=["scopes", "import", path])
    assert first.exit_code == 0, first.output
    assert "1 created, 0 updated" in first.output
    assert "+ cnous_bourse" in first.output
    second = runner.invoke(args=["scopes", "import", path])
    assert second.exit_code == 0
    assert second.output.startswith("nothing changed")


def test_invalid_file_applies_nothing_and_lists_every_problem(runner, tmp_path):
    before = exported(runner)
    document = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    document["scopes"][0]["label"]["fr"] = "Changé"  # valid, and must not be applied
    document["scopes"].append(NEW_SCOPE)  # valid, and must not be applied
    document["scopes"].append({"key": "cnous_Bourse", "provider": "cnous", "label": {"fr": "x"}})
    document["scopes"].append({"key": "cnous_y", "provider": "cnous"})
    document["providers"].append({"slug": "autre", "namespace": "cnam", "label": "x", "kind": "data"})
    result = runner.invoke(args=["scopes", "import", write(tmp_path, document)])
    assert result.exit_code == 1
    assert "3 problems" in result.output and "nothing was imported" in result.output
    n_scopes, n_providers = len(document["scopes"]), len(document["providers"])
    for where in (
        f"scopes[{n_scopes - 2}].key",
        f"scopes[{n_scopes - 1}].label",
        f"providers[{n_providers - 1}].namespace",
    ):
        assert where in result.output
    assert exported(runner) == before


@pytest.mark.parametrize("content", [b"{not json", b"[]", b"\xff\xfe"], ids=["syntax", "array", "bad-utf8"])
def test_unreadable_or_wrong_type_file_fails(runner, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = runner.invoke(args=["scopes", "import", str(path)])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_export_is_the_registry_file_format(runner):
    document = exported(runner)
    assert document["format"] == "scope-registry/1"
    stored = template_registry_document()
    assert [p["slug"] for p in document["providers"]] == [p["slug"] for p in stored["providers"]]
    assert [s["key"] for s in document["scopes"]] == [s["key"] for s in stored["scopes"]]


def test_list_shows_keys_and_labels(runner, app):
    from idp.registry.admin import Actor, deprecate_scope

    with app.app_context():
        deprecate_scope(Actor("op", "operator"), "dgfip_rfr")
    result = runner.invoke(args=["scopes", "list", "--provider", "dgfip"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines and all(" dgfip " in line for line in lines)
    rfr = next(line for line in lines if line.startswith("dgfip_rfr "))
    assert "Revenu fiscal de référence" in rfr and "deprecated since" in rfr


def test_console_script_import_is_idempotent(tmp_path):
    """The real ``idp`` command on a fresh instance: import, import again, then an invalid file."""
    env = os.environ | {
        "IDP_INSTANCE_PATH": str(tmp_path / "instance"),
        "IDP_ISSUER": "http://127.0.0.1:5999",
    }
    idp = str(Path(sys.executable).parent / "idp")

    def run(*args):
        return subprocess.run([idp, *args], env=env, capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    bundled = json.loads(REGISTRY_FILE.read_text(encoding="utf-8"))
    first = run("scopes", "import", str(REGISTRY_FILE))
    assert first.returncode == 0, first.stderr
    assert f"{len(bundled['providers']) + len(bundled['scopes'])} created" in first.stdout
    second = run("scopes", "import", str(REGISTRY_FILE))
    assert second.returncode == 0
    assert second.stdout.startswith("nothing changed")
    before = run("scopes", "export").stdout
    broken = write(tmp_path, {"format": "scope-registry/1", "providers": [], "scopes": [{"key": 1}]})
    third = run("scopes", "import", broken)
    assert third.returncode == 1
    assert "scopes[0].key" in third.stderr and "scopes[0].provider" in third.stderr
    assert run("scopes", "export").stdout == before
