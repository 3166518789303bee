"""change notifications (PostgreSQL)

Every statement that writes one of the tables the per-process caches are built from sends
``NOTIFY idp_changes, '<table>'`` in the writer's own transaction, so PostgreSQL delivers it
on commit only (and not at all on rollback): idp.database.notifications listens, and each
process drops what changed at once. A trigger rather than a NOTIFY in the application's
writers, so that every writer sends it: the application, the CLI, a later write path, an
operator's psql. A statement-level trigger: one notification per statement, and PostgreSQL
folds identical ones of one transaction into one.

The habilitations need none: a change that matters to a client is written to its row
(allowed_scopes, idp.registry.allowed.recompute) in the same transaction. SQLite has no
LISTEN: nothing to do there.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-10 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CHANNEL = 'idp_changes'
TABLES = ('clients', 'registry_providers', 'registry_scopes', 'signing_keys')
FUNCTION = 'idp_notify_change'


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        f"""
        CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f'CREATE TRIGGER {FUNCTION} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} '
            f'FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()'
        )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f'DROP TRIGGER {FUNCTION} ON {table}')
    op.execute(f'DROP FUNCTION {FUNCTION}()')
