"""machine-usable scopes

A scope the registry marks ``machine`` may be granted by client_credentials; every other
one only with a citizen's consent (idp.oauth2.grants.ClientCredentialsGrant).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_scopes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('machine', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('registry_scopes', schema=None) as batch_op:
        batch_op.drop_column('machine')
