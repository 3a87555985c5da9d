"""confidential reports: cases, identities, messages, hash-chained audit (append-only by trigger)

Revision ID: 0600_reports
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0600_reports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_cases",
        sa.Column("ref", sa.String(16), primary_key=True),
        sa.Column("municipality", sa.String(32), nullable=False, index=True),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("anonymous", sa.Boolean, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("acknowledged_on", sa.Date, nullable=True),
        sa.Column("feedback_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("delete_on", sa.Date, nullable=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("access", sa.LargeBinary, nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "report_identities",
        sa.Column("ref", sa.String(16), sa.ForeignKey("report_cases.ref", ondelete="CASCADE"), primary_key=True),
        sa.Column("identity", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "report_messages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("ref", sa.String(16), sa.ForeignKey("report_cases.ref", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("author_kind", sa.String(16), nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "report_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(16), nullable=True, index=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION report_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'report_audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER report_audit_append_only BEFORE UPDATE OR DELETE ON report_audit "
            "FOR EACH ROW EXECUTE FUNCTION report_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER report_audit_no_{verb.lower()} BEFORE {verb} ON report_audit "
                "BEGIN SELECT RAISE(ABORT, 'report_audit is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS report_audit_append_only ON report_audit")
        op.execute("DROP FUNCTION IF EXISTS report_audit_append_only()")
    op.drop_table("report_audit")
    op.drop_table("report_messages")
    op.drop_table("report_identities")
    op.drop_table("report_cases")
