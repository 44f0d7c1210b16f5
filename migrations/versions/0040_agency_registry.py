"""agency registry and posts: agencies' listings, staff and ratings; departments, org administrators, posts

Revision ID: 0040_agency_registry
Revises: 0039_deposits
Create Date: 2026-12-03 13:30:00

Issue 15: the agency registry (名录登记 per 财库〔2018〕2号) and account opening with posts (岗位配置).
Existing users are no organisation's administrator (org_admin false) until one is named; existing
organisations have no parent (only a department has one).
"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0040_agency_registry'
down_revision = '0039_deposits'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('agency_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.Enum('draft', 'listed', 'suspended', 'removed', name='agency_listing_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('legal_rep', sa.String(length=60), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=60), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=120), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('registered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('listed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('change_on', sa.Date(), nullable=True),
    sa.Column('change_note', sa.String(length=200), nullable=False),
    sa.Column('update_due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_warned_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mark_reason', sa.String(length=300), nullable=False),
    sa.CheckConstraint("status = 'draft' OR listed_at IS NOT NULL", name=op.f('ck_agency_listing_listed_has_time')),
    sa.CheckConstraint('(change_on IS NULL) = (update_due_at IS NULL)', name=op.f('ck_agency_listing_change_has_due')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_agency_listing_org_id_org')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_agency_listing_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_listing')),
    sa.UniqueConstraint('org_id', name=op.f('uq_agency_listing_org_id'))
    )
    with op.batch_alter_table('agency_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_listing_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_listing_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_listing_update_due_at'), ['update_due_at'], unique=False)

    op.create_table('org_post',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_org_post_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_post')),
    sa.UniqueConstraint('org_id', 'code', name='uq_org_post_org_code'),
    sa.UniqueConstraint('org_id', 'name', name='uq_org_post_org_name')
    )
    with op.batch_alter_table('org_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_post_org_id'), ['org_id'], unique=False)

    op.create_table('agency_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('id_last4', sa.String(length=4), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('added_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['agency_listing.id'], name=op.f('fk_agency_staff_listing_id_agency_listing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_staff')),
    sa.UniqueConstraint('listing_id', 'name', 'id_last4', name='uq_agency_staff_person')
    )
    with op.batch_alter_table('agency_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_staff_listing_id'), ['listing_id'], unique=False)

    op.create_table('org_post_holder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_org_post_holder_assigned_by_id_user_account')),
    sa.ForeignKeyConstraint(['post_id'], ['org_post.id'], name=op.f('fk_org_post_holder_post_id_org_post'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_org_post_holder_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_post_holder')),
    sa.UniqueConstraint('post_id', 'user_id', name='uq_org_post_holder_post_user')
    )
    with op.batch_alter_table('org_post_holder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_post_holder_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_post_holder_user_id'), ['user_id'], unique=False)

    op.create_table('agency_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rater_id', sa.Integer(), nullable=False),
    sa.Column('rater_kind', sa.String(length=12), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('average', sa.Float(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=False),
    sa.Column('rated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rater_kind IN ('purchaser', 'expert', 'supplier')", name=op.f('ck_agency_rating_rater_kind_known')),
    sa.CheckConstraint('average BETWEEN 1 AND 5', name=op.f('ck_agency_rating_average_range')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['org.id'], name=op.f('fk_agency_rating_agency_org_id_org')),
    sa.ForeignKeyConstraint(['project_id'], ['tender_project.id'], name=op.f('fk_agency_rating_project_id_tender_project')),
    sa.ForeignKeyConstraint(['rater_id'], ['user_account.id'], name=op.f('fk_agency_rating_rater_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_rating')),
    sa.UniqueConstraint('project_id', 'rater_id', name='uq_agency_rating_project_rater')
    )
    with op.batch_alter_table('agency_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_rating_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_rating_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_org_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_org_parent_id_org'), 'org', ['parent_id'], ['id'])

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_admin', sa.Boolean(), nullable=False, server_default=sa.false()))




def downgrade():

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('org_admin')

    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_org_parent_id_org'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_org_parent_id'))
        batch_op.drop_column('parent_id')

    with op.batch_alter_table('agency_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_rating_project_id'))
        batch_op.drop_index(batch_op.f('ix_agency_rating_agency_org_id'))

    op.drop_table('agency_rating')
    with op.batch_alter_table('org_post_holder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_post_holder_user_id'))
        batch_op.drop_index(batch_op.f('ix_org_post_holder_post_id'))

    op.drop_table('org_post_holder')
    with op.batch_alter_table('agency_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_staff_listing_id'))

    op.drop_table('agency_staff')
    with op.batch_alter_table('org_post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_post_org_id'))

    op.drop_table('org_post')
    with op.batch_alter_table('agency_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_listing_update_due_at'))
        batch_op.drop_index(batch_op.f('ix_agency_listing_status'))
        batch_op.drop_index(batch_op.f('ix_agency_listing_region_code'))

    op.drop_table('agency_listing')

