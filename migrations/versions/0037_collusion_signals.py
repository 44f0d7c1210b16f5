"""collusion signals: a run per opened lot with its flags; the bid's upload address and browser

Revision ID: 0037_collusion_signals
Revises: 0036_supplier_library
Create Date: 2026-12-03 14:00:00

87号令 Art 37 situations measured after each opening (registry.collusion). Bids submitted before this
revision have no recorded address or browser (NULL): the signals that need them skip those bids.
"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0037_collusion_signals'
down_revision = '0036_supplier_library'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'collusion_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('computed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('rules_version', sa.Integer(), nullable=False),
        sa.Column('bids', sa.Integer(), nullable=False),
        sa.Column('millis', sa.Integer(), nullable=False),
        sa.Column('notes', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['tender_lot.id'], name=op.f('fk_collusion_run_lot_id_tender_lot'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['tender_project.id'],
                                name=op.f('fk_collusion_run_project_id_tender_project'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_collusion_run_region_code_region')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collusion_run')),
        sa.UniqueConstraint('lot_id', name=op.f('uq_collusion_run_lot_id')),
    )
    with op.batch_alter_table('collusion_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_run_project_id'), ['project_id'], unique=False)
    op.create_table(
        'collusion_flag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('region_code', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('strength', sa.String(length=8), nullable=False),
        sa.Column('org_ids', sa.JSON(), nullable=False),
        sa.Column('bid_ids', sa.JSON(), nullable=False),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('computed_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['tender_lot.id'], name=op.f('fk_collusion_flag_lot_id_tender_lot'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['tender_project.id'],
                                name=op.f('fk_collusion_flag_project_id_tender_project'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_collusion_flag_region_code_region')),
        sa.ForeignKeyConstraint(['run_id'], ['collusion_run.id'], name=op.f('fk_collusion_flag_run_id_collusion_run'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_collusion_flag')),
    )
    with op.batch_alter_table('collusion_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collusion_flag_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collusion_flag_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_collusion_flag_region_kind', ['region_code', 'kind'], unique=False)
    with op.batch_alter_table('tender_bid', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('submitted_user_agent', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('tender_bid', schema=None) as batch_op:
        batch_op.drop_column('submitted_user_agent')
        batch_op.drop_column('submitted_ip')
    with op.batch_alter_table('collusion_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_collusion_flag_region_kind')
        batch_op.drop_index(batch_op.f('ix_collusion_flag_run_id'))
        batch_op.drop_index(batch_op.f('ix_collusion_flag_lot_id'))
    op.drop_table('collusion_flag')
    with op.batch_alter_table('collusion_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collusion_run_project_id'))
    op.drop_table('collusion_run')
