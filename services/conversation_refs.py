"""Conversation references for proactive messages, stored when a person talks to the bot in a 1:1 chat.

Only personal conversations are kept: a notice about a report must never land in a group chat or a
channel. A reference is keyed by the channel user id and looked up by Entra ID (AAD) object id or user
id. ``remember`` is called on every turn and is cheap: an in-process cache of what was last written
answers most turns without touching the database, and an unchanged reference is never rewritten. A
write is one upsert statement on the driver where the database has a fast path (SQLite, PostgreSQL):
on SQLite an ORM transaction would hold the write lock across awaits and make the turns' state writes
wait behind it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from services.db import Base, Database
from services.state_fast import Busy
from services.tasks import utcnow

log = logging.getLogger(__name__)
CACHE_SIZE = 20_000


class ConversationRefRow(Base):
    __tablename__ = "conversation_refs"

    user_id: Mapped[str] = mapped_column(String(200), primary_key=True)  # "29:..." channel user id
    aad_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    service_url: Mapped[str] = mapped_column(String(512))
    conversation_id: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    bot_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StoredRef:
    """What a proactive send needs; no names or message text are kept."""

    user_id: str
    aad_id: str | None
    channel_id: str
    service_url: str
    conversation_id: str
    tenant_id: str | None
    bot_id: str | None
    bot_name: str | None
    lang: str | None


def _fields(reference: dict) -> dict | None:
    """The columns for a serialized botbuilder ConversationReference, or None if it is not a 1:1 chat."""
    conversation = reference.get("conversation") or {}
    user = reference.get("user") or {}
    bot = reference.get("bot") or {}
    kind = conversation.get("conversationType") or ("groupChat" if conversation.get("isGroup") else "personal")
    if kind != "personal" or conversation.get("isGroup"):
        return None
    if not (user.get("id") and conversation.get("id") and reference.get("serviceUrl")):
        return None
    lang = reference.get("lang")
    return {
        "user_id": str(user["id"])[:200],
        "aad_id": (user.get("aadObjectId") or None),
        "channel_id": str(reference.get("channelId") or "msteams")[:32],
        "service_url": str(reference["serviceUrl"])[:512],
        "conversation_id": str(conversation["id"])[:512],
        "tenant_id": conversation.get("tenantId") or None,
        "bot_id": bot.get("id") or None,
        "bot_name": bot.get("name") or None,
        "lang": lang if lang in ("da", "en") else None,
    }


_COLUMNS = ("user_id", "aad_id", "channel_id", "service_url", "conversation_id", "tenant_id", "bot_id", "bot_name",
            "lang")
# Insert, or update when the stored fingerprint differs (one statement on SQLite 3.24+ and PostgreSQL).
_UPSERT = (f"INSERT INTO conversation_refs ({', '.join(_COLUMNS)}, fingerprint, updated_at) "
           f"VALUES ({', '.join('?' * (len(_COLUMNS) + 2))}) ON CONFLICT (user_id) DO UPDATE SET "
           + ", ".join(f"{c} = excluded.{c}" for c in (*_COLUMNS[1:], "fingerprint", "updated_at"))
           + " WHERE conversation_refs.fingerprint <> excluded.fingerprint")


def _fingerprint(fields: dict) -> str:
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class ConversationRefs:
    """Stores and finds proactive conversation references."""

    def __init__(self, db: Database, *, find_cache_seconds: float = 30.0) -> None:
        self.db = db
        self._written: OrderedDict[str, str] = OrderedDict()  # user id -> fingerprint last seen in the db
        # Workers look the same people up again and again; a found reference is reused briefly.
        # Misses are never cached: a person who just wrote to the bot must be found at once.
        self._found: OrderedDict[tuple, tuple[float, StoredRef]] = OrderedDict()
        self.find_cache_seconds = find_cache_seconds
        self.writes = 0  # how many turns actually wrote (for tests and the curious)

    async def remember(self, reference: dict) -> bool:
        """Store or refresh ``reference`` (a serialized ConversationReference); True if it wrote."""
        fields = _fields(reference)
        if fields is None:
            return False
        fp = _fingerprint(fields)
        user_id = fields["user_id"]
        if self._written.get(user_id) == fp:
            self._written.move_to_end(user_id)
            return False
        fast = self.db.fast
        if fast is not None:
            try:
                changed = await fast.execute(_UPSERT, (*(fields[c] for c in _COLUMNS), fp, fast.timestamp(utcnow())))
            except Busy:
                pass  # locked by another process for over a second: the ORM path below waits for it
            else:
                self._cache(user_id, fp)
                if changed:
                    self._found.clear()
                    self.writes += 1
                return bool(changed)
        async with self.db.sessions() as session, session.begin():
            row = await session.get(ConversationRefRow, user_id)
            if row is not None and row.fingerprint == fp:
                self._cache(user_id, fp)
                return False
            if row is None:
                session.add(ConversationRefRow(**fields, fingerprint=fp, updated_at=utcnow()))
            else:
                for name, value in fields.items():
                    setattr(row, name, value)
                row.fingerprint, row.updated_at = fp, utcnow()
            try:
                await session.flush()
            except IntegrityError:  # another process stored it first; its copy is as good as ours
                await session.rollback()
                return False
        self._cache(user_id, fp)
        self._found.clear()
        self.writes += 1
        return True

    def _cache(self, user_id: str, fp: str) -> None:
        self._written[user_id] = fp
        self._written.move_to_end(user_id)
        while len(self._written) > CACHE_SIZE:
            self._written.popitem(last=False)

    async def find(self, *, aad_id: str | None = None, user_id: str | None = None) -> StoredRef | None:
        """The newest reference for a person, by AAD object id (preferred) or channel user id."""
        if not aad_id and not user_id:
            return None
        key = (aad_id, user_id)
        hit = self._found.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        found = await self._find(aad_id, user_id)
        if found is not None and self.find_cache_seconds > 0:
            self._found[key] = (time.monotonic() + self.find_cache_seconds, found)
            while len(self._found) > CACHE_SIZE:
                self._found.popitem(last=False)
        return found

    async def _find(self, aad_id: str | None, user_id: str | None) -> StoredRef | None:
        async with self.db.sessions() as session:
            row = None
            if aad_id:
                row = (await session.execute(
                    select(ConversationRefRow).where(ConversationRefRow.aad_id == aad_id)
                    .order_by(ConversationRefRow.updated_at.desc()).limit(1))).scalar_one_or_none()
            if row is None and user_id:
                row = await session.get(ConversationRefRow, user_id)
            if row is None:
                return None
            return StoredRef(row.user_id, row.aad_id, row.channel_id, row.service_url, row.conversation_id,
                             row.tenant_id, row.bot_id, row.bot_name, row.lang)

    async def forget(self, user_id: str) -> None:
        """Drop a reference the connector says is gone (the bot was removed, the chat deleted)."""
        from sqlalchemy import delete

        async with self.db.sessions() as session, session.begin():
            await session.execute(delete(ConversationRefRow).where(ConversationRefRow.user_id == user_id))
        self._written.pop(user_id, None)
        self._found.clear()
