"""contract acceptance: 履约验收 rounds with their members and signatures, payments from the finance intranet,
performance ratings; a contract knows when it was accepted, when payment falls due and what was paid (issue 22)

Revision ID: 0043_contract_acceptance
Revises: 0042_collusion_identity_keys
Create Date: 2026-12-03 13:57:35.021126

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0043_contract_acceptance'
down_revision = '0042_collusion_identity_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_acceptance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('organised', 'signing', 'passed', 'failed', name='acceptance_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('third_party', sa.String(length=120), nullable=False),
    sa.Column('scheduled_on', sa.Date(), nullable=False),
    sa.Column('organised_by_id', sa.Integer(), nullable=False),
    sa.Column('organised_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivery_due_on', sa.Date(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('document', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('remedy', sa.String(length=12), nullable=True),
    sa.Column('remedy_due_on', sa.Date(), nullable=True),
    sa.Column('remedy_note', sa.String(length=500), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("mode IN ('purchaser', 'experts', 'third_party')", name=op.f('ck_contract_acceptance_mode_known')),
    sa.CheckConstraint("remedy IS NULL OR remedy IN ('rectify', 'terminate')", name=op.f('ck_contract_acceptance_remedy_known')),
    sa.CheckConstraint("status NOT IN ('passed', 'failed') OR decided_at IS NOT NULL", name=op.f('ck_contract_acceptance_decided_has_time')),
    sa.CheckConstraint('(document IS NULL) = (recorded_at IS NULL)', name=op.f('ck_contract_acceptance_recorded_has_report')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_acceptance_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_contract_acceptance_notice_id_notice')),
    sa.ForeignKeyConstraint(['organised_by_id'], ['user_account.id'], name=op.f('fk_contract_acceptance_organised_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_acceptance')),
    sa.UniqueConstraint('contract_id', 'round', name='uq_contract_acceptance_round')
    )
    with op.batch_alter_table('contract_acceptance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_acceptance_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_acceptance_status'), ['status'], unique=False)

    op.create_table('contract_performance',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('first_round', sa.Boolean(), nullable=False),
    sa.Column('defects', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('rated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_contract_performance_score_range')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_performance_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_contract_performance_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('contract_id', name=op.f('pk_contract_performance'))
    )
    with op.batch_alter_table('contract_performance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_performance_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('contract_acceptance_member',
    sa.Column('acceptance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('signature', sa.String(length=100), nullable=True),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('purchaser', 'expert', 'third_party', 'supplier')", name=op.f('ck_contract_acceptance_member_role_known')),
    sa.CheckConstraint('(signature IS NULL) = (signed_at IS NULL)', name=op.f('ck_contract_acceptance_member_signature_has_time')),
    sa.ForeignKeyConstraint(['acceptance_id'], ['contract_acceptance.id'], name=op.f('fk_contract_acceptance_member_acceptance_id_contract_acceptance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['public_key.id'], name=op.f('fk_contract_acceptance_member_key_id_public_key')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_contract_acceptance_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('acceptance_id', 'user_id', name=op.f('pk_contract_acceptance_member'))
    )
    op.create_table('contract_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('voucher', sa.String(length=60), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_contract_payment_amount_positive')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_payment_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['exchange_message.id'], name=op.f('fk_contract_payment_message_id_exchange_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_payment')),
    sa.UniqueConstraint('voucher', name=op.f('uq_contract_payment_voucher'))
    )
    with op.batch_alter_table('contract_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_payment_contract_id'), ['contract_id'], unique=False)

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payment_due_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paid_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_warned_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_contract_paid_within_amount'), 'paid_fen >= 0 AND paid_fen <= amount_fen')
        batch_op.create_check_constraint(op.f('ck_contract_due_once_accepted'), '(payment_due_at IS NULL) = (accepted_at IS NULL)')
        batch_op.create_index(batch_op.f('ix_contract_payment_due_at'), ['payment_due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_payment_due_at'))
        batch_op.drop_constraint(op.f('ck_contract_due_once_accepted'), type_='check')
        batch_op.drop_constraint(op.f('ck_contract_paid_within_amount'), type_='check')
        batch_op.drop_column('payment_warned_at')
        batch_op.drop_column('paid_fen')
        batch_op.drop_column('payment_due_at')
        batch_op.drop_column('accepted_at')

    with op.batch_alter_table('contract_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_payment_contract_id'))

    op.drop_table('contract_payment')
    op.drop_table('contract_acceptance_member')
    with op.batch_alter_table('contract_performance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_performance_supplier_org_id'))

    op.drop_table('contract_performance')
    with op.batch_alter_table('contract_acceptance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_acceptance_status'))
        batch_op.drop_index(batch_op.f('ix_contract_acceptance_contract_id'))

    op.drop_table('contract_acceptance')
