"""The keys package stays framework-free and exports the agreed interface."""

import ast
import pathlib
import subprocess
import sys

import pytest

import keys

PACKAGE = pathlib.Path(keys.__file__).parent
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "idp", "scopes", "authlib")


def test_importing_keys_loads_no_framework():
    code = (
        "import sys, keys\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_a_forbidden_package(path):
    tree = ast.parse(path.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & set(FORBIDDEN)


def test_public_interface_is_exported():
    expected = {
        "SUPPORTED_ALGORITHMS", "generate_private_key",
        "public_jwk", "jwk_thumbprint",
        "encrypt_private_key", "decrypt_private_key", "generate_passphrase",
        "KeyState", "KeyRecord", "NewKey", "create_key", "initial_key_set", "plan_rotation",
        "plan_retire", "publishable", "prunable", "active_key",
        "build_jwks", "KeyRing",
        "KeyManagementError", "KeyDecryptionError", "UnsupportedAlgorithm", "KeyStateError",
        "InvalidTokenError",
    }  # fmt: skip
    assert expected <= set(keys.__all__)
    for name in keys.__all__:
        assert getattr(keys, name) is not None


@pytest.mark.parametrize(
    "error",
    ["KeyDecryptionError", "UnsupportedAlgorithm", "KeyStateError", "InvalidTokenError"],
)
def test_errors_share_one_base(error):
    assert issubclass(getattr(keys, error), keys.KeyManagementError)
    assert not issubclass(getattr(keys, error), LookupError)
