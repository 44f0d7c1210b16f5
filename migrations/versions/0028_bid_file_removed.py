"""bid file removed: superseded and withdrawn bids' files deleted after the opening (issue 11)

Revision ID: 0028_bid_file_removed
Revises: 0027_rule_keys_renamed
Create Date: 2026-12-02 07:45:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0028_bid_file_removed'
down_revision = '0027_rule_keys_renamed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tender_bid', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_removed_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tender_bid', schema=None) as batch_op:
        batch_op.drop_column('file_removed_at')
