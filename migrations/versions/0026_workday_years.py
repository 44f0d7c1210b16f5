"""workday years added by supervisors

Revision ID: 0026_workday_years
Revises: 0025_award_deemed_confirmed
Create Date: 2026-12-02 06:40:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0026_workday_years'
down_revision = '0025_award_deemed_confirmed'
branch_labels = None
depends_on = None


def upgrade():
    # next year's holidays, entered by a supervisor from the State Council's notice (portal/workday_calendar.py)
    op.create_table(
        'workday_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('holidays', sa.Text(), nullable=False),
        sa.Column('workdays', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=False),
        sa.Column('added_at', core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_workday_year_added_by_id_user_account')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_workday_year')),
    )


def downgrade():
    op.drop_table('workday_year')
