"""indexes for a large database

Statements that scanned whole tables, found on the PISTE-sized data set of
bench/large_data.py (a day of access tokens and authorization codes, 100,000 habilitations):

- ``idp purge-expired`` selects each batch by ``expires_at``: codes, refresh tokens and
  sign-ins had no index on it, so each run read those tables whole, the last batch (and the
  count) under SQLite's write lock;
- logout revokes the tokens of a sign-in through its codes (``authorization_codes.session_id``);
- erasing a citizen counts, then deletes ``ON DELETE CASCADE``, their access tokens, refresh
  tokens and codes by ``user_id`` (a scan of each table, per citizen);
- a FranceConnect habilitation's approval finds the API habilitations that ride on it by
  ``france_connect_authorization_id``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

INDEXES = (
    ('access_tokens', 'user_id'),
    ('authorization_codes', 'expires_at'),
    ('authorization_codes', 'session_id'),
    ('authorization_codes', 'user_id'),
    ('habilitations', 'france_connect_authorization_id'),
    ('login_sessions', 'expires_at'),
    ('refresh_tokens', 'expires_at'),
    ('refresh_tokens', 'user_id'),
)


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
