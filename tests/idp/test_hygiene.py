"""What a server keeps and sends about citizens: files readable by their owner only, pages
no cache keeps."""

from __future__ import annotations

import stat

import pytest

from idp import create_app
from idp.operations.embedded import prepare_embedded


def test_the_database_the_secrets_and_the_folder_are_private(tmp_path):
    instance = tmp_path / "fresh-instance"
    app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    prepare_embedded(app)
    with app.app_context():
        app.test_client().get("/jwks")  # a read: the WAL files exist now
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    files = [path for path in instance.iterdir() if path.is_file()]
    assert {"idp.sqlite3", "secret_key", "keys_passphrase", "pairwise_salt"} <= {path.name for path in files}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, (path.name, oct(path.stat().st_mode))


@pytest.mark.parametrize("path", ["/login", "/account", "/consent", "/authorize", "/logout", "/"])
def test_personal_pages_are_never_stored(client, path):
    response = client.get(path)
    if response.mimetype == "text/html":
        assert response.headers["Cache-Control"] == "no-store"


def test_the_account_page_of_a_signed_in_citizen_is_no_store(flow):
    flow.tokens()
    response = flow.http.get("/account")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
