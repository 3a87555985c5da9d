"""agenda: passenger-council agenda items, transitions, comments, meetings, members

Revision ID: 0700_agenda
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0700_agenda"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("council_id", sa.String(length=64), nullable=False),
        sa.Column("meeting_key", sa.String(length=64), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("ask", sa.String(length=16), nullable=False),
        sa.Column("responsible_party", sa.String(length=120), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("closed_session", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submitter_aad", sa.String(length=64), nullable=False),
        sa.Column("submitter_name", sa.String(length=200), nullable=False),
        sa.Column("submitter_party", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("feedback_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agenda_items") as batch:
        batch.create_index("ix_agenda_items_council_id", ["council_id"])
        batch.create_index("ix_agenda_items_meeting_key", ["meeting_key"])
        batch.create_index("ix_agenda_items_state", ["state"])
        batch.create_index("ix_agenda_items_submitter_aad", ["submitter_aad"])
    op.create_table(
        "agenda_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor_aad", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["agenda_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agenda_transitions") as batch:
        batch.create_index("ix_agenda_transitions_item_id", ["item_id"])
    op.create_table(
        "agenda_comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_aad", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("author_party", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["agenda_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agenda_comments") as batch:
        batch.create_index("ix_agenda_comments_item_id", ["item_id"])
    op.create_table(
        "agenda_meetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("council_id", sa.String(length=64), nullable=False),
        sa.Column("meeting_key", sa.String(length=64), nullable=False),
        sa.Column("deadlines", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("council_id", "meeting_key"),
    )
    op.create_table(
        "agenda_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("council_id", sa.String(length=64), nullable=False),
        sa.Column("aad_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("party", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("council_id", "aad_id"),
    )


def downgrade() -> None:
    op.drop_table("agenda_members")
    op.drop_table("agenda_meetings")
    op.drop_table("agenda_comments")
    op.drop_table("agenda_transitions")
    op.drop_table("agenda_items")
