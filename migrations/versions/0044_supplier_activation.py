"""supplier activation: the single-use links that give a supplier imported from the county's library
(admitted, but with no account) its administrator's account

Revision ID: 0044_supplier_activation
Revises: 0043_contract_acceptance
Create Date: 2026-12-04 19:30:00
"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0044_supplier_activation'
down_revision = '0043_contract_acceptance'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registry_supplier_activation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('created_at <= expires_at', name=op.f('ck_registry_supplier_activation_expires_after_creation')),
    sa.ForeignKeyConstraint(['supplier_id'], ['registry_supplier.id'], name=op.f('fk_registry_supplier_activation_supplier_id_registry_supplier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_registry_supplier_activation_sent_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_supplier_activation')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_registry_supplier_activation_token_sha256'))
    )
    with op.batch_alter_table('registry_supplier_activation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_supplier_activation_supplier_id'), ['supplier_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registry_supplier_activation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_supplier_activation_supplier_id'))
    op.drop_table('registry_supplier_activation')
