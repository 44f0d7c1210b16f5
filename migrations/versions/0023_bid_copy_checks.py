"""bid copy checks: the ciphertext fingerprint of a bid and an index on its key commitment

A relabelled copy of another supplier's container keeps that container's key commitment and
ciphertext; submission refuses a container matching another supplier's bid on either (issue 10).

Revision ID: 0023_bid_copy_checks
Revises: 0022_portal_reminders
"""
from alembic import op
import sqlalchemy as sa

revision = "0023_bid_copy_checks"
down_revision = "0022_portal_reminders"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tender_bid", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ciphertext_fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_tender_bid_ciphertext_fingerprint"), ["ciphertext_fingerprint"],
                              unique=False)
        batch_op.create_index("ix_tender_bid_commitment", ["commitment"], unique=False)


def downgrade():
    with op.batch_alter_table("tender_bid", schema=None) as batch_op:
        batch_op.drop_index("ix_tender_bid_commitment")
        batch_op.drop_index(batch_op.f("ix_tender_bid_ciphertext_fingerprint"))
        batch_op.drop_column("ciphertext_fingerprint")
