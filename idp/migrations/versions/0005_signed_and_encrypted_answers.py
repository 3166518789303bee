"""signed and encrypted answers, resource indicators, allowed prompts

Per-client metadata of FranceConnect's contract: userinfo signed (and encrypted), ID tokens
encrypted, a data provider's /checktoken signed with its algorithm and encrypted to its key
(OIDC Registration §2; FranceConnect's checktoken_* in data-provider-adapter-mongo.dto.ts);
a data provider's API URL as an RFC 8707 resource indicator; FranceConnect's
allowedPrompts. Every column is nullable: NULL keeps today's behaviour.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-15 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ALGORITHM_COLUMNS = (
    ('userinfo_signed_response_alg', 16),
    ('userinfo_encrypted_response_alg', 32),
    ('userinfo_encrypted_response_enc', 32),
    ('id_token_encrypted_response_alg', 32),
    ('id_token_encrypted_response_enc', 32),
    ('checktoken_signed_response_alg', 16),
    ('checktoken_encrypted_response_alg', 32),
    ('checktoken_encrypted_response_enc', 32),
)


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        for name, length in ALGORITHM_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch_op.add_column(sa.Column('resource_uri', sa.String(length=2048), nullable=True))
        batch_op.add_column(sa.Column('allowed_prompts', sa.JSON(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_clients_resource_uri'), ['resource_uri'])


def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_clients_resource_uri'), type_='unique')
        batch_op.drop_column('allowed_prompts')
        batch_op.drop_column('resource_uri')
        for name, _length in reversed(ALGORITHM_COLUMNS):
            batch_op.drop_column(name)
