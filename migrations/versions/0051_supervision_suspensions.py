"""supervision suspensions: finance suspends a procurement process with a reason and resumes it with another;
at most one suspension in force per process (issue 19)

Revision ID: 0051_supervision_suspensions
Revises: 0050_audit_leaf_data
Create Date: 2026-12-04 19:17:26.326959

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0051_supervision_suspensions'
down_revision = '0050_audit_leaf_data'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portal_suspension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.Enum('in_force', 'lifted', name='portal_suspension_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('suspended_by_id', sa.Integer(), nullable=False),
    sa.Column('suspended_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.String(length=500), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'lifted' OR (lifted_at IS NOT NULL AND lift_reason IS NOT NULL)", name=op.f('ck_portal_suspension_lifted_explained')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['user_account.id'], name=op.f('fk_portal_suspension_lifted_by_id_user_account')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_portal_suspension_notice_id_notice')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_portal_suspension_region_code_region')),
    sa.ForeignKeyConstraint(['suspended_by_id'], ['user_account.id'], name=op.f('fk_portal_suspension_suspended_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_suspension'))
    )
    with op.batch_alter_table('portal_suspension', schema=None) as batch_op:
        batch_op.create_index('ix_portal_suspension_one_in_force', ['subject_kind', 'subject_id'], unique=True, sqlite_where=sa.text("status = 'in_force'"), postgresql_where=sa.text("status = 'in_force'"))
        batch_op.create_index(batch_op.f('ix_portal_suspension_region_code'), ['region_code'], unique=False)



def downgrade():
    with op.batch_alter_table('portal_suspension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_suspension_region_code'))
        batch_op.drop_index('ix_portal_suspension_one_in_force', sqlite_where=sa.text("status = 'in_force'"), postgresql_where=sa.text("status = 'in_force'"))

    op.drop_table('portal_suspension')
