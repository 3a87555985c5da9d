"""contacts: hand-overs of a user's question to a contact

Revision ID: 0400_contact_handovers
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0400_contact_handovers"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_handovers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("contact_id", sa.String(length=100), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("requester_id", sa.String(length=200), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("contact_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_handovers_requester_id"), ["requester_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_handovers_requester_id"))
    op.drop_table("contact_handovers")
