"""task backend: claim tokens, deliveries (idempotency) and conversation references

Revision ID: 0500_task_backend
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0500_task_backend'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_tasks_status_run_at', ['status', 'run_at'], unique=False)
    op.create_table('task_deliveries',
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=True),
    sa.Column('remote_id', sa.String(length=200), nullable=True),
    sa.Column('claim_token', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('idempotency_key')
    )
    op.create_index('ix_task_deliveries_task_id', 'task_deliveries', ['task_id'], unique=False)
    op.create_table('conversation_refs',
    sa.Column('user_id', sa.String(length=200), nullable=False),
    sa.Column('aad_id', sa.String(length=64), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('service_url', sa.String(length=512), nullable=False),
    sa.Column('conversation_id', sa.String(length=512), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=True),
    sa.Column('bot_id', sa.String(length=200), nullable=True),
    sa.Column('bot_name', sa.String(length=200), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('fingerprint', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_index('ix_conversation_refs_aad_id', 'conversation_refs', ['aad_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversation_refs_aad_id', table_name='conversation_refs')
    op.drop_table('conversation_refs')
    op.drop_index('ix_task_deliveries_task_id', table_name='task_deliveries')
    op.drop_table('task_deliveries')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_run_at')
        batch_op.drop_column('claim_token')
