"""one agency rating: the evaluation room's expert rating of the agency (one score) joins the agency
registry's rating (four dimensions, one per rater per project), which experts now give from the room

Revision ID: 0048_one_agency_rating
Revises: 0047_mall
Create Date: 2026-12-04 19:20:00

Each room rating becomes the expert's registry rating of the project's agency with its score on every
dimension, unless the expert already rated the project there (that rating, the fuller one, is kept).
A downgrade brings the table back empty.
"""
from alembic import op
import sqlalchemy as sa

import core.db


# revision identifiers, used by Alembic.
revision = '0048_one_agency_rating'
down_revision = '0047_mall'
branch_labels = None
depends_on = None

DIMENSIONS = ("competence", "service", "compliance", "efficiency")  # registry.agencies.ratings at this revision

old = sa.table('evaluation_agency_rating', sa.column('id', sa.Integer), sa.column('committee_id', sa.Integer),
               sa.column('member_id', sa.Integer), sa.column('agency_org_id', sa.Integer),
               sa.column('score', sa.Integer), sa.column('note', sa.String),
               sa.column('rated_at', core.db.UTCDateTime(timezone=True)))
committee = sa.table('evaluation_committee', sa.column('id', sa.Integer), sa.column('project_id', sa.Integer))
member = sa.table('evaluation_member', sa.column('id', sa.Integer), sa.column('user_id', sa.Integer))
new = sa.table('agency_rating', sa.column('agency_org_id', sa.Integer), sa.column('project_id', sa.Integer),
               sa.column('rater_id', sa.Integer), sa.column('rater_kind', sa.String), sa.column('scores', sa.JSON),
               sa.column('average', sa.Float), sa.column('comment', sa.String),
               sa.column('rated_at', core.db.UTCDateTime(timezone=True)))


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(old.c.agency_org_id, committee.c.project_id, member.c.user_id, old.c.score, old.c.note,
                  old.c.rated_at)
        .join(committee, committee.c.id == old.c.committee_id).join(member, member.c.id == old.c.member_id)
        .order_by(old.c.id)).all()
    taken = {(p, u) for p, u in bind.execute(sa.select(new.c.project_id, new.c.rater_id))}
    moved = []
    for agency, project, user, score, note, rated_at in rows:
        if (project, user) in taken:
            continue
        taken.add((project, user))
        moved.append({"agency_org_id": agency, "project_id": project, "rater_id": user, "rater_kind": "expert",
                      "scores": {d: score for d in DIMENSIONS}, "average": float(score), "comment": note or "",
                      "rated_at": rated_at})
    if moved:
        op.bulk_insert(new, moved)
    with op.batch_alter_table('evaluation_agency_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_agency_rating_committee_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_agency_rating_agency_org_id'))
    op.drop_table('evaluation_agency_rating')


def downgrade():
    op.create_table('evaluation_agency_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('rated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_evaluation_agency_rating_score_range')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['org.id'], name=op.f('fk_evaluation_agency_rating_agency_org_id_org')),
    sa.ForeignKeyConstraint(['committee_id'], ['evaluation_committee.id'], name=op.f('fk_evaluation_agency_rating_committee_id_evaluation_committee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['evaluation_member.id'], name=op.f('fk_evaluation_agency_rating_member_id_evaluation_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_agency_rating')),
    sa.UniqueConstraint('member_id', name=op.f('uq_evaluation_agency_rating_member_id'))
    )
    with op.batch_alter_table('evaluation_agency_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_agency_rating_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_agency_rating_committee_id'), ['committee_id'], unique=False)
