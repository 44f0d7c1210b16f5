"""collusion identity keys: the identity graph's index of normalised shared values, and its stamps

Revision ID: 0042_collusion_identity_keys
Revises: 0041_contract_kit
Create Date: 2026-12-03 14:00:00

Looking suppliers up by phone, representative, address or bank account in the accounts and supplier
tables scanned them whole (those columns are not indexed there): a group query over 100,000 suppliers
took 240 ms at p99. The keys are filled by the collusion sweep (registry.collusion.timed) on its
first runs and by every lot's computation for its bidders.
"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0042_collusion_identity_keys'
down_revision = '0041_contract_kit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'collusion_identity_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_collusion_identity_key_org_id_org'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collusion_identity_key')),
    )
    with op.batch_alter_table('collusion_identity_key', schema=None) as batch_op:
        batch_op.create_index('ix_collusion_identity_key_kind_value', ['kind', 'value'], unique=False)
        batch_op.create_index(batch_op.f('ix_collusion_identity_key_org_id'), ['org_id'], unique=False)
    op.create_table(
        'collusion_identity_stamp',
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('refreshed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_collusion_identity_stamp_org_id_org'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('org_id', name=op.f('pk_collusion_identity_stamp')),
    )
    with op.batch_alter_table('collusion_identity_stamp', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_identity_stamp_refreshed_at'), ['refreshed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('collusion_identity_stamp', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collusion_identity_stamp_refreshed_at'))
    op.drop_table('collusion_identity_stamp')
    with op.batch_alter_table('collusion_identity_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collusion_identity_key_org_id'))
        batch_op.drop_index('ix_collusion_identity_key_kind_value')
    op.drop_table('collusion_identity_key')
