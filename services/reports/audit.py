"""The hash-chained audit log: every action on a report, who and which day, never the content."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.models import ReportAudit

GENESIS = "0" * 64


def entry_hash(prev_hash: str, seq: int, day: date, actor: str, action: str, ref: str | None, detail: str) -> str:
    material = "\x1f".join([prev_hash, str(seq), day.isoformat(), actor, action, ref or "", detail])
    return hashlib.sha256(material.encode()).hexdigest()


async def append(session: AsyncSession, day: date, actor: str, action: str, ref: str | None = None,
                 detail: str = "") -> ReportAudit:
    """Add one entry after the last; concurrent appends serialize (PostgreSQL lock, unique prev_hash)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(727275)"))
    last = (await session.execute(select(ReportAudit).order_by(ReportAudit.seq.desc()).limit(1))).scalar_one_or_none()
    prev, seq = (last.hash, last.seq + 1) if last else (GENESIS, 1)
    row = ReportAudit(seq=seq, day=day, actor=actor[:80], action=action[:32], ref=ref, detail=detail[:200],
                      prev_hash=prev, hash=entry_hash(prev, seq, day, actor[:80], action[:32], ref, detail[:200]))
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken_at: int | None = None  # the first seq whose hash or link does not hold


async def verify(session: AsyncSession) -> Verification:
    prev, expected_seq, count = GENESIS, 1, 0
    rows = (await session.execute(select(ReportAudit).order_by(ReportAudit.seq))).scalars()
    for row in rows:
        count += 1
        good = (row.seq == expected_seq and row.prev_hash == prev
                and row.hash == entry_hash(prev, row.seq, row.day, row.actor, row.action, row.ref, row.detail))
        if not good:
            return Verification(False, count, row.seq)
        prev, expected_seq = row.hash, row.seq + 1
    return Verification(True, count)
