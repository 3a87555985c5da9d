"""Report tables. Content, recipients and a named reporter's identity are ciphertext; dates are days."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base

STATUSES = ("received", "acknowledged", "in_progress", "police", "feedback_given", "closed")


class ReportCase(Base):
    __tablename__ = "report_cases"

    ref: Mapped[str] = mapped_column(String(16), primary_key=True)  # random, e.g. R-7K3M-9QXA
    municipality: Mapped[str] = mapped_column(String(32), index=True)
    policy_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="received")
    anonymous: Mapped[bool] = mapped_column(Boolean)
    created_on: Mapped[date] = mapped_column(Date)  # the day only: finer times could be matched to Teams logs
    acknowledged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    feedback_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    delete_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)  # the data key, wrapped by a master key
    content: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM: what, when, where, wishes
    access: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM: the recipient set (who is excluded shows nowhere)
    code_hash: Mapped[str] = mapped_column(String(200))  # Argon2id of the follow-up code
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # whole hours


class ReportIdentity(Base):
    """A named reporter's identity, encrypted with the report's key, kept apart from the case row."""

    __tablename__ = "report_identities"

    ref: Mapped[str] = mapped_column(String(16), ForeignKey("report_cases.ref", ondelete="CASCADE"), primary_key=True)
    identity: Mapped[bytes] = mapped_column(LargeBinary)


class ReportMessage(Base):
    """A reply from a recipient, added information from the reporter, or a reason for a status change."""

    __tablename__ = "report_messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: bound into the ciphertext
    ref: Mapped[str] = mapped_column(String(16), ForeignKey("report_cases.ref", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    author_kind: Mapped[str] = mapped_column(String(16))  # reporter | recipient
    created_on: Mapped[date] = mapped_column(Date)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class ReportAudit(Base):
    """Append-only, hash-chained: who (a recipient's object id, or 'reporter'/'system'), what, which day."""

    __tablename__ = "report_audit"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str | None] = mapped_column(String(16), index=True, nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # a fork (two rows after one) is refused
    hash: Mapped[str] = mapped_column(String(64))
