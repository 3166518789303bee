"""federation: identity providers, citizens by identity hash, connection history

Citizens are found by the hash of their pivot identity (idp.citizens.subject), whichever
identity provider they sign in with; local credentials become optional. Each sign-in
remembers its identity provider and its ID token (for logout); service providers may filter
the identity providers offered; each connection to a service is kept in a history.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa

from idp.citizens.subject import identity_hash


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

PIVOT = ("given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")


def upgrade():
    op.create_table('identity_providers',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('discovery_url', sa.String(length=2048), nullable=True),
    sa.Column('client_id', sa.String(length=255), nullable=True),
    sa.Column('encrypted_client_secret', sa.LargeBinary(), nullable=True),
    sa.Column('auth_method', sa.String(length=32), nullable=False),
    sa.Column('eidas_levels', sa.JSON(), nullable=False),
    sa.Column('scope', sa.String(length=1024), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_identity_providers'))
    )
    op.create_table('connection_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=255), nullable=False),
    sa.Column('identity_provider', sa.String(length=32), nullable=False),
    sa.Column('identity_provider_title', sa.String(length=255), nullable=False),
    sa.Column('acr', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_connection_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_events'))
    )
    # The local identity store is the built-in provider "local" (an operator may disable it).
    now = sa.func.now()
    providers = sa.table('identity_providers', *(sa.column(name) for name in (
        'name', 'title', 'kind', 'auth_method', 'eidas_levels', 'scope', 'active', 'hidden', 'position',
        'created_at', 'updated_at')))
    op.execute(providers.insert().values(
        name='local', title='Identifiant et mot de passe', kind='local', auth_method='none',
        eidas_levels=sa.cast('[]', sa.JSON), scope='', active=True, hidden=False, position=0,
        created_at=now, updated_at=now))
    with op.batch_alter_table('connection_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_events_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_connection_events_user_at', ['user_id', 'at'], unique=False)

    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_provider_filter', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('identity_provider_filter_excludes', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_provider', sa.String(length=32), nullable=False, server_default='local'))
        batch_op.add_column(sa.Column('upstream_id_token', sa.Text(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_hash', sa.String(length=44), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('identity_hash', sa.String),
                     *(sa.column(name, sa.String) for name in PIVOT))
    connection = op.get_bind()
    for row in connection.execute(sa.select(users)).mappings().all():
        connection.execute(users.update().where(users.c.id == row['id']).values(identity_hash=identity_hash(row)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('identity_hash', existing_type=sa.String(length=44), nullable=False)
        batch_op.alter_column('username', existing_type=sa.String(length=255), nullable=True)
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)
        batch_op.create_index(batch_op.f('ix_users_identity_hash'), ['identity_hash'], unique=True)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_identity_hash'))
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column('username', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('identity_hash')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('upstream_id_token')
        batch_op.drop_column('identity_provider')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('identity_provider_filter_excludes')
        batch_op.drop_column('identity_provider_filter')
    with op.batch_alter_table('connection_events', schema=None) as batch_op:
        batch_op.drop_index('ix_connection_events_user_at')
        batch_op.drop_index(batch_op.f('ix_connection_events_expires_at'))
    op.drop_table('connection_events')
    op.drop_table('identity_providers')
