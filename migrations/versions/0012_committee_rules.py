"""Committee rules as the law counts them: per-method panel sizes on the draw rule, 技术复杂 with its
reason on the project and the draw request, 异地评审 on the draw request.

Revision ID: 0012_committee_rules
Revises: 0024_login_sessions
Create Date: 2026-12-01 23:44:24.597522

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0012_committee_rules'
down_revision = '0024_login_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expert_draw_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complex_reason', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('is_offsite', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('expert_draw_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('panel_methods', sa.String(length=200), nullable=False,
                                      server_default='competitive_negotiation,competitive_consultation,inquiry,'
                                                     'single_source'))
        batch_op.add_column(sa.Column('panel_min_committee', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('panel_large_min_committee', sa.Integer(), nullable=False,
                                      server_default='5'))
        batch_op.add_column(sa.Column('panel_large_budget_fen', sa.BigInteger(), nullable=False,
                                      server_default='400000000'))
        batch_op.create_check_constraint(
            'panel_sizes', 'panel_min_committee >= 3 AND panel_min_committee % 2 = 1'
                           ' AND panel_large_min_committee >= panel_min_committee')

    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_complex', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('complex_reason', sa.String(length=300), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.drop_column('complex_reason')
        batch_op.drop_column('is_complex')

    with op.batch_alter_table('expert_draw_rule', schema=None) as batch_op:
        batch_op.drop_constraint('panel_sizes', type_='check')
        batch_op.drop_column('panel_large_budget_fen')
        batch_op.drop_column('panel_large_min_committee')
        batch_op.drop_column('panel_min_committee')
        batch_op.drop_column('panel_methods')

    with op.batch_alter_table('expert_draw_request', schema=None) as batch_op:
        batch_op.drop_column('is_offsite')
        batch_op.drop_column('complex_reason')
