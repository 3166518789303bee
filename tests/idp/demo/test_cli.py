"""``idp seed-demo``: the demo data, created once and refreshed by running it again."""

from __future__ import annotations

from idp.clients.lookup import find_client
from idp.demo.data_provider.credentials import DEMO_DATA_PROVIDER_ID
from idp.demo.relying_party import DEMO_CLIENT_ID
from idp.extensions import db
from idp.models import User


def test_seed_demo_is_idempotent(app, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert find_client(DEMO_CLIENT_ID).is_public
        assert find_client(DEMO_DATA_PROVIDER_ID).namespace == "dgfip"
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2
    assert "marie.dupont" in second.output
