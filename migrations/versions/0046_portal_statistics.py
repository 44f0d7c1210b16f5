"""portal statistics: the monthly rollup of each statistics source and its stale months; contracts indexed by
their signing time (a month is rebuilt from its own contracts) (issue 19)

Revision ID: 0046_portal_statistics
Revises: 0045_notice_centre
Create Date: 2026-12-04 19:03:56.139353

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0046_portal_statistics'
down_revision = '0045_notice_centre'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_stat_rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('dimension', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('budgeted_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('sme_n', sa.BigInteger(), nullable=False),
    sa.Column('sme_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('small_micro_n', sa.BigInteger(), nullable=False),
    sa.Column('small_micro_amount_fen', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_stat_rollup')),
    sa.UniqueConstraint('source', 'month', 'dimension', 'key', 'region_code', name='uq_portal_stat_rollup_cell')
    )
    op.create_table('portal_stat_stale',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('marked_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_stat_stale'))
    )
    with op.batch_alter_table('portal_stat_stale', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_stat_stale_marked_at'), ['marked_at'], unique=False)
        batch_op.create_index('ix_portal_stat_stale_source_month', ['source', 'month'], unique=False)

    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_signed_at'), ['signed_at'], unique=False)



def downgrade():
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_signed_at'))

    with op.batch_alter_table('portal_stat_stale', schema=None) as batch_op:
        batch_op.drop_index('ix_portal_stat_stale_source_month')
        batch_op.drop_index(batch_op.f('ix_portal_stat_stale_marked_at'))

    op.drop_table('portal_stat_stale')
    op.drop_table('portal_stat_rollup')
