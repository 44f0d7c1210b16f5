"""portal: reminders already sent (one per user, need, lead time and deadline)

Revision ID: 0022_portal_reminders
Revises: 0021_award_record
Create Date: 2026-12-02 00:20:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


revision = '0022_portal_reminders'
down_revision = '0021_award_record'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'portal_reminder_sent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('need_key', sa.String(length=120), nullable=False),
        sa.Column('lead_minutes', sa.Integer(), nullable=False),
        sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_portal_reminder_sent_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_reminder_sent')),
        sa.UniqueConstraint('user_id', 'need_key', 'lead_minutes', 'due_at', name='uq_portal_reminder_sent_once'),
    )
    with op.batch_alter_table('portal_reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portal_reminder_sent_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('portal_reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_reminder_sent_user_id'))
    op.drop_table('portal_reminder_sent')
