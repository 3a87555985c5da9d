"""Hand-over of a user's question to a contact: recorded only after an explicit yes, with its notice.

``record`` writes the hand-over and enqueues its "notify" task (an e-mail to the contact with the
question, the asker's name and the context) in ONE transaction: both or neither. Until the task
backend's worker has delivered the task, the hand-over's status is "pending"; ``mine`` reads the status
from the task itself, so it is never out of step with delivery.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, Database
from services.tasks import Task, enqueue

MAX_QUESTION = 2000
NOTICE_TEMPLATE = ["ContactNotices", "handover"]


class Handover(Base):
    __tablename__ = "contact_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # one hand-over per consent, even on retries
    contact_id: Mapped[str] = mapped_column(String(100))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    requester_id: Mapped[str] = mapped_column(String(200), index=True)
    requester_name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class HandoverStatus:
    id: int
    contact_name: str
    question: str
    created_at: datetime
    status: str  # pending | done | dead | cancelled | unknown


def subject(handover_id: int) -> str:
    return f"handover:{handover_id}"


async def record(db: Database, *, key: str, contact_id: str, contact_name: str, contact_email: str,
                 contact_aad_id: str = "", requester_id: str, requester_name: str, question: str, context: str,
                 lang: str = "da", notice_lang: str = "da", now: datetime | None = None) -> tuple[Handover, bool]:
    """Record the hand-over and queue its notice together. Returns (hand-over, created); a repeated
    ``key`` (the same consent delivered twice) returns the existing hand-over and queues nothing."""
    if not (contact_email or contact_aad_id):
        raise ValueError("a hand-over needs the contact's e-mail address or Teams identity")
    question = question.strip()[:MAX_QUESTION]
    if not question:
        raise ValueError("a hand-over needs a question")
    now = now or datetime.now(UTC)
    try:
        async with db.sessions() as session, session.begin():
            handover = Handover(key=key, contact_id=contact_id, contact_name=contact_name,
                                contact_email=contact_email or None, requester_id=requester_id,
                                requester_name=requester_name or "", question=question, context=context,
                                lang=lang, created_at=now)
            session.add(handover)
            await session.flush()
            recipient = {k: v for k, v in (("aad_id", contact_aad_id), ("email", contact_email),
                                            ("name", contact_name)) if v}
            enqueue(session, "notify",
                    {"recipient": recipient, "template": NOTICE_TEMPLATE,
                     "vars": {"contact": contact_name, "requester": requester_name or "?",
                              "question": question, "context": context},
                     "lang": notice_lang, "card": None},
                    subject=subject(handover.id), idempotency_key=f"{subject(handover.id)}:notify")
        return handover, True
    except IntegrityError:
        async with db.sessions() as session:
            existing = (await session.execute(select(Handover).where(Handover.key == key))).scalar_one_or_none()
        if existing is None:
            raise
        return existing, False


async def status_of(db: Database, handover_id: int) -> str:
    async with db.sessions() as session:
        task = (await session.execute(select(Task.status).where(Task.subject == subject(handover_id),
                                                                Task.kind == "notify"))).scalars().first()
    return _status(task)


async def mine(db: Database, requester_id: str, limit: int = 10) -> list[HandoverStatus]:
    """The requester's own hand-overs (never anyone else's), newest first, with delivery status."""
    async with db.sessions() as session:
        rows = (await session.execute(
            select(Handover).where(Handover.requester_id == requester_id)
            .order_by(Handover.created_at.desc(), Handover.id.desc()).limit(limit))).scalars().all()
        subjects = [subject(h.id) for h in rows]
        tasks = {} if not subjects else dict((await session.execute(
            select(Task.subject, Task.status).where(Task.subject.in_(subjects), Task.kind == "notify"))).all())
    return [HandoverStatus(h.id, h.contact_name, h.question, h.created_at, _status(tasks.get(subject(h.id))))
            for h in rows]


def _status(task_status: str | None) -> str:
    if task_status in ("pending", "running", "retry", "locked"):
        return "pending"
    if task_status in ("done", "delivered", "sent"):
        return "done"
    if task_status in ("dead", "failed"):
        return "dead"
    if task_status == "cancelled":
        return "cancelled"
    return "unknown" if task_status else "pending"
