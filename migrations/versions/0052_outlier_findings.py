"""outlier findings decided by the committee; flags cleared once the rules no longer raise them (issue 21)

A proposed finding of an abnormally high or low score (87号令 Art 64 (4)) is voted on by the members;
`evaluation_score_flag.resolution` gains `cleared`. Findings recorded before this revision (by the chair
alone) have no proposal row: their flags stay as they are.

Revision ID: 0052_outlier_findings
Revises: 0051_supervision_suspensions
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0052_outlier_findings'
down_revision = '0051_supervision_suspensions'
branch_labels = None
depends_on = None

RESOLUTION = 'ck_evaluation_score_flag_evaluation_flag_resolution'


def upgrade():
    op.create_table('evaluation_outlier_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('found', sa.Boolean(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("note <> ''", name=op.f('ck_evaluation_outlier_finding_finding_explained')),
    sa.CheckConstraint('(found IS NULL) = (decided_at IS NULL)',
                       name=op.f('ck_evaluation_outlier_finding_finding_decided_when')),
    sa.ForeignKeyConstraint(['bid_id'], ['tender_bid.id'], name=op.f('fk_evaluation_outlier_finding_bid_id_tender_bid')),
    sa.ForeignKeyConstraint(['committee_id'], ['evaluation_committee.id'],
                            name=op.f('fk_evaluation_outlier_finding_committee_id_evaluation_committee'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flag_id'], ['evaluation_score_flag.id'],
                            name=op.f('fk_evaluation_outlier_finding_flag_id_evaluation_score_flag'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'],
                            name=op.f('fk_evaluation_outlier_finding_member_id_evaluation_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['evaluation_member.id'],
                            name=op.f('fk_evaluation_outlier_finding_proposed_by_id_evaluation_member'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_outlier_finding'))
    )
    with op.batch_alter_table('evaluation_outlier_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_outlier_finding_committee_id'), ['committee_id'], unique=False)

    op.create_table('evaluation_outlier_vote',
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('agree', sa.Boolean(), nullable=False),
    sa.Column('voted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['evaluation_outlier_finding.id'],
                            name=op.f('fk_evaluation_outlier_vote_finding_id_evaluation_outlier_finding'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'],
                            name=op.f('fk_evaluation_outlier_vote_member_id_evaluation_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('finding_id', 'member_id', name=op.f('pk_evaluation_outlier_vote'))
    )

    with op.batch_alter_table('evaluation_score_flag', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(RESOLUTION), type_='check')
        batch_op.create_check_constraint(op.f(RESOLUTION), "resolution IN ('open', 'confirmed', 'corrected', 'cleared')")


def downgrade():
    op.execute("UPDATE evaluation_score_flag SET resolution = 'corrected' WHERE resolution = 'cleared'")
    with op.batch_alter_table('evaluation_score_flag', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(RESOLUTION), type_='check')
        batch_op.create_check_constraint(op.f(RESOLUTION), "resolution IN ('open', 'confirmed', 'corrected')")
    op.drop_table('evaluation_outlier_vote')
    with op.batch_alter_table('evaluation_outlier_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_outlier_finding_committee_id'))
    op.drop_table('evaluation_outlier_finding')
