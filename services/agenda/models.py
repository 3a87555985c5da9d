"""Tables for passenger-council agenda items, their transitions and comments, meetings and members."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    council_id: Mapped[str] = mapped_column(String(64), index=True)
    meeting_key: Mapped[str | None] = mapped_column(String(64), index=True)  # proposed, then the accepted one
    position: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    ask: Mapped[str] = mapped_column(String(16))  # information | discussion | advice
    responsible_party: Mapped[str] = mapped_column(String(120))
    decision_date: Mapped[date | None] = mapped_column(Date)
    closed_session: Mapped[bool] = mapped_column(Boolean, default=False)  # treated in the closed part
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitter_aad: Mapped[str] = mapped_column(String(64), index=True)
    submitter_name: Mapped[str] = mapped_column(String(200))
    submitter_party: Mapped[str] = mapped_column(String(120))
    outcome: Mapped[str | None] = mapped_column(Text)
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    # Optimistic concurrency: every UPDATE says "WHERE version = <the one I read>" and raises if it lost.
    __mapper_args__ = {"version_id_col": version}


class AgendaTransition(Base):
    __tablename__ = "agenda_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor_aad: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgendaComment(Base):
    __tablename__ = "agenda_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    author_aad: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    author_party: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgendaMeeting(Base):
    """Per-meeting state the YAML cannot hold: deadline overrides, publication and the iCalendar SEQUENCE."""

    __tablename__ = "agenda_meetings"
    __table_args__ = (UniqueConstraint("council_id", "meeting_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    council_id: Mapped[str] = mapped_column(String(64))
    meeting_key: Mapped[str] = mapped_column(String(64))
    deadlines: Mapped[str] = mapped_column(Text, default="{}")  # JSON {name: "YYYY-MM-DD"}
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE, raised on every change
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class AgendaMember(Base):
    """A change to the follow-up group made through the bot; overrides the YAML member with the same aad_id."""

    __tablename__ = "agenda_members"
    __table_args__ = (UniqueConstraint("council_id", "aad_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    council_id: Mapped[str] = mapped_column(String(64))
    aad_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    party: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
