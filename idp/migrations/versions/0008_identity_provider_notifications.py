"""change notifications for the identity providers (PostgreSQL)

Every ``GET /authorize`` asks whether the service offers an identity provider reaching the
level the request needs (idp.citizens.federation.providers.offers_level). Each process keeps
the providers' rows for that, used while its change listener is told of no change to them
(idp.database.notifications): the same trigger as migration 0006, on ``identity_providers``.
SQLite has no LISTEN: nothing to do there (the rows are read at every request).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLE = 'identity_providers'
FUNCTION = 'idp_notify_change'  # migration 0006's


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        f'CREATE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {TABLE} '
        f'FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()'
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(f'DROP TRIGGER {FUNCTION} ON {TABLE}')
