"""award deemed confirmed

Revision ID: 0025_award_deemed_confirmed
Revises: 0012_committee_rules
Create Date: 2026-12-02 00:06:11.496853

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0025_award_deemed_confirmed'
down_revision = '0012_committee_rules'
branch_labels = None
depends_on = None


OLD_RULE = "status = 'pending' OR status = 'voided' OR (confirmed_at IS NOT NULL AND confirmed_by_id IS NOT NULL)"
NEW_RULE = ("status = 'pending' OR status = 'voided' OR "
            "(confirmed_at IS NOT NULL AND (confirmed_by_id IS NOT NULL OR deemed_confirmed))")


def upgrade():
    # 87号令 Art 68: an award the purchaser let lapse is deemed confirmed, by nobody
    with op.batch_alter_table('evaluation_award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deemed_confirmed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_evaluation_award_confirmed_has_who'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_evaluation_award_confirmed_has_who'), NEW_RULE)


def downgrade():
    with op.batch_alter_table('evaluation_award', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_evaluation_award_confirmed_has_who'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_evaluation_award_confirmed_has_who'), OLD_RULE)
        batch_op.drop_column('deemed_confirmed')
