"""drop two indexes that no statement reads

Each citizen's code flow inserts one authorization code and one access-token record, and
every index of a table is one more B-tree to update per insert. Two of them serve no
statement of the server, the ``idp`` commands or the purge:

- ``authorization_codes.grant_id``: a replayed code is found by its hash, and the tokens of
  its grant through ``access_tokens.grant_id`` and ``refresh_tokens.grant_id``; logout reads
  the grants of a sign-in's codes through ``authorization_codes.session_id``. Its keys are
  random, so each insert touched a page of its own, which on the PISTE-sized data set
  (bench/large_data.py, 900,000 codes) was rarely in memory;
- ``access_tokens.client_id``: a record is read by its ``jti`` and joined to its client,
  revoked by its grant, its consent or its citizen; no statement selects by client.

Measured in process on that data set (SQLite, one thread, 2,000 code flows): the code's
``INSERT`` 99 µs with its index, 74 µs without (68 on the small data set); the record's 85
and 62 µs (64).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

INDEXES = (
    ('access_tokens', 'client_id'),
    ('authorization_codes', 'grant_id'),
)


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)
