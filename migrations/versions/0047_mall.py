"""mall: the e-mall — stores, listings with their price history and review queue of changes, reference
prices and the nightly price check, carts, orders, payments, disputes, designated-service agreements with
their price lists, service orders and checked bill lines (issue 17)

Revision ID: 0047_mall
Revises: 0046_portal_statistics
Create Date: 2026-12-04 19:02:48.853878

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0047_mall'
down_revision = '0046_portal_statistics'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mall_price_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('frozen', sa.Integer(), nullable=False),
    sa.Column('fee_shifts', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_price_report'))
    )
    op.create_table('mall_price_watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_price_watch'))
    )
    with op.batch_alter_table('mall_price_watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_price_watch_due_at'), ['due_at'], unique=False)

    op.create_table('mall_store',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='mall_store_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('opened_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_store_region_code_region')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_store_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_store')),
    sa.UniqueConstraint('supplier_org_id', name=op.f('uq_mall_store_supplier_org_id'))
    )
    op.create_table('mall_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('purchaser_org_id', sa.Integer(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('placed', 'confirmed', 'dispatched', 'received', 'accepted', 'done', 'lapsed', 'cancelled', 'returned', name='mall_order_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('confirmation_id', sa.Integer(), nullable=True),
    sa.Column('budget_draw_id', sa.Integer(), nullable=True),
    sa.Column('delivery_address', sa.String(length=200), nullable=False),
    sa.Column('placed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirm_due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pay_due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue_warned_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contract_signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=300), nullable=False),
    sa.Column('exchanges', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_note', sa.String(length=300), nullable=False),
    sa.CheckConstraint("status != 'accepted' OR rating IS NOT NULL", name=op.f('ck_mall_order_accepted_has_rating')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_mall_order_amount_positive')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_mall_order_rating_range')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['user_account.id'], name=op.f('fk_mall_order_placed_by_id_user_account')),
    sa.ForeignKeyConstraint(['purchaser_org_id'], ['org.id'], name=op.f('fk_mall_order_purchaser_org_id_org')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_order_region_code_region')),
    sa.ForeignKeyConstraint(['store_id'], ['mall_store.id'], name=op.f('fk_mall_order_store_id_mall_store')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_order_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_order')),
    sa.UniqueConstraint('number', name=op.f('uq_mall_order_number'))
    )
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_confirm_due_at'), ['confirm_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_pay_due_at'), ['pay_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_purchaser_org_id'), ['purchaser_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_order_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('mall_reference_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('captured_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_fen > 0', name=op.f('ck_mall_reference_price_price_positive')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_mall_reference_price_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['product_id'], ['registry_product.id'], name=op.f('fk_mall_reference_price_product_id_registry_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_reference_price'))
    )
    with op.batch_alter_table('mall_reference_price', schema=None) as batch_op:
        batch_op.create_index('ix_mall_reference_price_product', ['product_id', 'captured_at'], unique=False)

    op.create_table('mall_service_agreement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('min_discount_pct', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('filed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_discount_pct BETWEEN 0 AND 90', name=op.f('ck_mall_service_agreement_discount_range')),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_mall_service_agreement_validity_ordered')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_mall_service_agreement_filed_by_id_user_account')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_service_agreement_region_code_region')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_service_agreement_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_service_agreement'))
    )
    with op.batch_alter_table('mall_service_agreement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_service_agreement_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('mall_dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('open', 'upheld', 'dismissed', name='mall_dispute_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('raised_by_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_mall_dispute_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], name=op.f('fk_mall_dispute_order_id_mall_order')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'], name=op.f('fk_mall_dispute_raised_by_id_user_account')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_dispute_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_dispute'))
    )
    with op.batch_alter_table('mall_dispute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_dispute_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_dispute_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('mall_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_mall_payment_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], name=op.f('fk_mall_payment_order_id_mall_order')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_mall_payment_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_payment'))
    )
    with op.batch_alter_table('mall_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_payment_order_id'), ['order_id'], unique=False)

    op.create_table('mall_price_list_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('list_price_fen', sa.Integer(), nullable=False),
    sa.Column('ceiling_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint("unit != ''", name=op.f('ck_mall_price_list_item_unit_required')),
    sa.CheckConstraint('list_price_fen > 0 AND ceiling_fen > 0', name=op.f('ck_mall_price_list_item_prices_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['mall_service_agreement.id'], name=op.f('fk_mall_price_list_item_agreement_id_mall_service_agreement'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_price_list_item')),
    sa.UniqueConstraint('agreement_id', 'code', name='uq_mall_price_list_code')
    )
    with op.batch_alter_table('mall_price_list_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_price_list_item_agreement_id'), ['agreement_id'], unique=False)

    op.create_table('mall_service_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('purchaser_org_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('vehicle_plate', sa.String(length=16), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('negotiated_fen', sa.Integer(), nullable=False),
    sa.Column('cap_fen', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('placed', 'billed', 'paid', 'cancelled', name='mall_service_order_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('placed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('billed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bill_total_fen', sa.Integer(), nullable=True),
    sa.Column('bill_blocked_lines', sa.JSON(), nullable=False),
    sa.Column('paid_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('days > 0 AND persons > 0', name=op.f('ck_mall_service_order_days_persons_positive')),
    sa.CheckConstraint('negotiated_fen > 0', name=op.f('ck_mall_service_order_negotiated_positive')),
    sa.ForeignKeyConstraint(['agreement_id'], ['mall_service_agreement.id'], name=op.f('fk_mall_service_order_agreement_id_mall_service_agreement')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['user_account.id'], name=op.f('fk_mall_service_order_placed_by_id_user_account')),
    sa.ForeignKeyConstraint(['purchaser_org_id'], ['org.id'], name=op.f('fk_mall_service_order_purchaser_org_id_org')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_service_order_region_code_region')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_service_order_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_service_order')),
    sa.UniqueConstraint('number', name=op.f('uq_mall_service_order_number'))
    )
    with op.batch_alter_table('mall_service_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_service_order_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_service_order_purchaser_org_id'), ['purchaser_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_service_order_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('mall_bill_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('filed_price_fen', sa.Integer(), nullable=True),
    sa.Column('deviation_bp', sa.Integer(), nullable=True),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_mall_bill_line_quantity_positive')),
    sa.ForeignKeyConstraint(['service_order_id'], ['mall_service_order.id'], name=op.f('fk_mall_bill_line_service_order_id_mall_service_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_bill_line')),
    sa.UniqueConstraint('service_order_id', 'number', name='uq_mall_bill_line_number')
    )
    with op.batch_alter_table('mall_bill_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_bill_line_service_order_id'), ['service_order_id'], unique=False)

    op.create_table('mall_listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('product_version_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('brand', sa.String(length=60), nullable=False),
    sa.Column('catalogue_code', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('install_fee_fen', sa.Integer(), nullable=False),
    sa.Column('service_fee_fen', sa.Integer(), nullable=False),
    sa.Column('in_stock', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('live', 'frozen', 'withdrawn', name='mall_listing_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('frozen_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'frozen' OR frozen_reason != ''", name=op.f('ck_mall_listing_frozen_has_reason')),
    sa.CheckConstraint('install_fee_fen >= 0 AND service_fee_fen >= 0', name=op.f('ck_mall_listing_fees_not_negative')),
    sa.CheckConstraint('price_fen > 0', name=op.f('ck_mall_listing_price_positive')),
    sa.ForeignKeyConstraint(['offer_id'], ['registry_offer.id'], name=op.f('fk_mall_listing_offer_id_registry_offer')),
    sa.ForeignKeyConstraint(['product_id'], ['registry_product.id'], name=op.f('fk_mall_listing_product_id_registry_product')),
    sa.ForeignKeyConstraint(['product_version_id'], ['registry_product_version.id'], name=op.f('fk_mall_listing_product_version_id_registry_product_version')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_listing_region_code_region')),
    sa.ForeignKeyConstraint(['store_id'], ['mall_store.id'], name=op.f('fk_mall_listing_store_id_mall_store')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_mall_listing_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_listing')),
    sa.UniqueConstraint('store_id', 'product_id', name='uq_mall_listing_store_product')
    )
    with op.batch_alter_table('mall_listing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_listing_brand'), ['brand'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_listing_catalogue_code'), ['catalogue_code'], unique=False)
        batch_op.create_index('ix_mall_listing_product_status_price', ['product_id', 'status', 'price_fen'], unique=False)
        batch_op.create_index('ix_mall_listing_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_listing_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('mall_cart_item',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('added_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_mall_cart_item_quantity_positive')),
    sa.ForeignKeyConstraint(['listing_id'], ['mall_listing.id'], name=op.f('fk_mall_cart_item_listing_id_mall_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mall_cart_item_user_id_user_account')),
    sa.PrimaryKeyConstraint('user_id', 'listing_id', name=op.f('pk_mall_cart_item'))
    )
    op.create_table('mall_listing_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'rejected', 'withdrawn', name='mall_listing_change_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('fee_shift', sa.Boolean(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.String(length=200), nullable=False),
    sa.CheckConstraint("status != 'rejected' OR review_note != ''", name=op.f('ck_mall_listing_change_rejection_has_reason')),
    sa.ForeignKeyConstraint(['listing_id'], ['mall_listing.id'], name=op.f('fk_mall_listing_change_listing_id_mall_listing')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user_account.id'], name=op.f('fk_mall_listing_change_proposed_by_id_user_account')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_mall_listing_change_reviewed_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_listing_change'))
    )
    with op.batch_alter_table('mall_listing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_listing_change_listing_id'), ['listing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mall_listing_change_status'), ['status'], unique=False)

    op.create_table('mall_listing_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('install_fee_fen', sa.Integer(), nullable=False),
    sa.Column('service_fee_fen', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fee_shift', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['mall_listing.id'], name=op.f('fk_mall_listing_price_listing_id_mall_listing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_listing_price'))
    )
    with op.batch_alter_table('mall_listing_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_listing_price_listing_id'), ['listing_id'], unique=False)

    op.create_table('mall_listing_region',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['mall_listing.id'], name=op.f('fk_mall_listing_region_listing_id_mall_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_mall_listing_region_region_code_region')),
    sa.PrimaryKeyConstraint('listing_id', 'region_code', name=op.f('pk_mall_listing_region'))
    )
    op.create_table('mall_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('product_version_id', sa.Integer(), nullable=False),
    sa.Column('catalogue_code', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('install_fee_fen', sa.Integer(), nullable=False),
    sa.Column('service_fee_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_mall_order_line_quantity_positive')),
    sa.ForeignKeyConstraint(['listing_id'], ['mall_listing.id'], name=op.f('fk_mall_order_line_listing_id_mall_listing')),
    sa.ForeignKeyConstraint(['order_id'], ['mall_order.id'], name=op.f('fk_mall_order_line_order_id_mall_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['registry_product.id'], name=op.f('fk_mall_order_line_product_id_registry_product')),
    sa.ForeignKeyConstraint(['product_version_id'], ['registry_product_version.id'], name=op.f('fk_mall_order_line_product_version_id_registry_product_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mall_order_line'))
    )
    with op.batch_alter_table('mall_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mall_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_mall_order_line_product_at', ['product_id', 'at'], unique=False)



def downgrade():
    with op.batch_alter_table('mall_order_line', schema=None) as batch_op:
        batch_op.drop_index('ix_mall_order_line_product_at')
        batch_op.drop_index(batch_op.f('ix_mall_order_line_order_id'))

    op.drop_table('mall_order_line')
    op.drop_table('mall_listing_region')
    with op.batch_alter_table('mall_listing_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_listing_price_listing_id'))

    op.drop_table('mall_listing_price')
    with op.batch_alter_table('mall_listing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_listing_change_status'))
        batch_op.drop_index(batch_op.f('ix_mall_listing_change_listing_id'))

    op.drop_table('mall_listing_change')
    op.drop_table('mall_cart_item')
    with op.batch_alter_table('mall_listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_listing_supplier_org_id'))
        batch_op.drop_index('ix_mall_listing_status_id')
        batch_op.drop_index('ix_mall_listing_product_status_price')
        batch_op.drop_index(batch_op.f('ix_mall_listing_catalogue_code'))
        batch_op.drop_index(batch_op.f('ix_mall_listing_brand'))

    op.drop_table('mall_listing')
    with op.batch_alter_table('mall_bill_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_bill_line_service_order_id'))

    op.drop_table('mall_bill_line')
    with op.batch_alter_table('mall_service_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_service_order_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_mall_service_order_purchaser_org_id'))
        batch_op.drop_index(batch_op.f('ix_mall_service_order_agreement_id'))

    op.drop_table('mall_service_order')
    with op.batch_alter_table('mall_price_list_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_price_list_item_agreement_id'))

    op.drop_table('mall_price_list_item')
    with op.batch_alter_table('mall_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_payment_order_id'))

    op.drop_table('mall_payment')
    with op.batch_alter_table('mall_dispute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_dispute_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_mall_dispute_order_id'))

    op.drop_table('mall_dispute')
    with op.batch_alter_table('mall_service_agreement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_service_agreement_supplier_org_id'))

    op.drop_table('mall_service_agreement')
    with op.batch_alter_table('mall_reference_price', schema=None) as batch_op:
        batch_op.drop_index('ix_mall_reference_price_product')

    op.drop_table('mall_reference_price')
    with op.batch_alter_table('mall_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_order_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_status'))
        batch_op.drop_index(batch_op.f('ix_mall_order_purchaser_org_id'))
        batch_op.drop_index(batch_op.f('ix_mall_order_pay_due_at'))
        batch_op.drop_index(batch_op.f('ix_mall_order_confirm_due_at'))

    op.drop_table('mall_order')
    op.drop_table('mall_store')
    with op.batch_alter_table('mall_price_watch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mall_price_watch_due_at'))

    op.drop_table('mall_price_watch')
    op.drop_table('mall_price_report')
