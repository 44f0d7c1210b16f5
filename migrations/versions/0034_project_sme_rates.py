"""project SME rates: the price deductions the tender document grants, within the region's band

Revision ID: 0034_project_sme_rates
Revises: 0033_room_connection
Create Date: 2026-12-03 07:45:00

财库〔2020〕46号 Art 9 (bands of 财库〔2022〕19号): the tender document sets the small/micro and the
consortium/subcontract deduction rates within the band; until now the evaluation always took the
band's low end. Existing projects keep that (NULL = the low end).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0034_project_sme_rates'
down_revision = '0033_room_connection'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sme_percent', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('sme_consortium_percent', sa.Numeric(precision=5, scale=2), nullable=True))


def downgrade():
    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.drop_column('sme_consortium_percent')
        batch_op.drop_column('sme_percent')
