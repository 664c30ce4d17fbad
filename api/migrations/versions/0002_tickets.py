"""tickets tables: units, tickets, events, callbacks, extensions, citizen tokens, calendar overrides.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket_calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('workday', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_ticket_calendar_overrides'))
    )
    op.create_table('ticket_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('department', sa.String(length=128), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_ticket_units_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_units')),
    sa.UniqueConstraint('name', name=op.f('uq_ticket_units_name'))
    )
    op.create_index(op.f('ix_ticket_units_department'), 'ticket_units', ['department'], unique=False)
    op.create_index(op.f('ix_ticket_units_region_code'), 'ticket_units', ['region_code'], unique=False)
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('caller_name', sa.String(length=64), nullable=True),
    sa.Column('caller_phone', sa.String(length=32), nullable=True),
    sa.Column('caller_phone_masked', sa.String(length=32), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('transcript', sa.JSON(), nullable=False),
    sa.Column('suggestion', sa.JSON(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('category', sa.String(length=128), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lead_unit_id', sa.Integer(), nullable=True),
    sa.Column('master_id', sa.Integer(), nullable=True),
    sa.Column('consultation', sa.Boolean(), nullable=False),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('send_back_count', sa.Integer(), nullable=False),
    sa.Column('extension_count', sa.Integer(), nullable=False),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.Column('progress_reports', sa.Integer(), nullable=False),
    sa.Column('overdue_stages', sa.JSON(), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('direct_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatch_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sign_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('feedback_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finish_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_on_time', sa.Boolean(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['ticket_units.id'], name=op.f('fk_tickets_lead_unit_id_ticket_units')),
    sa.ForeignKeyConstraint(['master_id'], ['tickets.id'], name=op.f('fk_tickets_master_id_tickets')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_tickets_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_tickets_idempotency_key'))
    )
    op.create_index(op.f('ix_tickets_category'), 'tickets', ['category'], unique=False)
    op.create_index(op.f('ix_tickets_lead_unit_id'), 'tickets', ['lead_unit_id'], unique=False)
    op.create_index(op.f('ix_tickets_overdue'), 'tickets', ['overdue'], unique=False)
    op.create_index(op.f('ix_tickets_received_at'), 'tickets', ['received_at'], unique=False)
    op.create_index(op.f('ix_tickets_region_code'), 'tickets', ['region_code'], unique=False)
    op.create_index(op.f('ix_tickets_status'), 'tickets', ['status'], unique=False)
    op.create_table('ticket_assists',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_assists_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['ticket_units.id'], name=op.f('fk_ticket_assists_unit_id_ticket_units')),
    sa.PrimaryKeyConstraint('ticket_id', 'unit_id', name=op.f('pk_ticket_assists'))
    )
    op.create_table('ticket_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('satisfied', sa.Boolean(), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_callbacks_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_callbacks'))
    )
    op.create_index(op.f('ix_ticket_callbacks_ticket_id'), 'ticket_callbacks', ['ticket_id'], unique=False)
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['ticket_units.id'], name=op.f('fk_ticket_events_unit_id_ticket_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_events'))
    )
    op.create_index(op.f('ix_ticket_events_action'), 'ticket_events', ['action'], unique=False)
    op.create_index(op.f('ix_ticket_events_ticket_id'), 'ticket_events', ['ticket_id'], unique=False)
    op.create_table('ticket_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('old_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('new_due', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_extensions_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_extensions'))
    )
    op.create_index(op.f('ix_ticket_extensions_ticket_id'), 'ticket_extensions', ['ticket_id'], unique=False)
    op.create_table('ticket_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_tokens_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_ticket_tokens'))
    )
    op.create_index(op.f('ix_ticket_tokens_ticket_id'), 'ticket_tokens', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_table('ticket_tokens')
    op.drop_table('ticket_extensions')
    op.drop_table('ticket_events')
    op.drop_table('ticket_callbacks')
    op.drop_table('ticket_assists')
    op.drop_table('tickets')
    op.drop_table('ticket_units')
    op.drop_table('ticket_calendar_overrides')
