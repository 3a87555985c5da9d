"""Agenda items through their life: create, review, comment, publish, outcome, feedback; each change is
one transaction with a version check, a recorded transition and its notices (task outbox)."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.agenda import deadlines as dl
from services.agenda.config import DEADLINES, ROLES, Council, Meeting, Member
from services.agenda.models import AgendaComment, AgendaItem, AgendaMeeting, AgendaMember, AgendaTransition
from services.agenda.workflow import AgendaError, allowed_actions, check
from services.db import Database
from services.tasks import Task, cancel, enqueue

ASKS = ("information", "discussion", "advice")
PUBLISHED_STATES = ("on_agenda", "treated", "awaiting_feedback", "feedback_given", "closed")
LIMITS = {"title": 200, "description": 4000, "reason": 2000, "outcome": 4000, "feedback": 4000, "text": 2000}


@dataclass(frozen=True)
class Actor:
    aad_id: str
    name: str = ""


@dataclass(frozen=True)
class ItemFields:
    title: str
    description: str
    ask: str
    responsible_party: str
    decision_date: date | None = None
    closed_session: bool = False
    meeting_key: str | None = None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _text(value: Any, field: str, required: bool = True) -> str:
    text = " ".join(str(value or "").split()) if field == "title" else str(value or "").strip()
    if required and not text:
        raise AgendaError("required", field=field)
    if len(text) > LIMITS[field]:
        raise AgendaError("too_long", field=field, limit=LIMITS[field])
    return text


class AgendaService:
    """Entry point for handlers; every method takes plain values and raises AgendaError when refused."""

    def __init__(self, db: Database, councils: dict[str, Council], clock: Callable[[], datetime] | None = None,
                 public_base_url: str = "") -> None:
        if not councils:
            raise ValueError("no passenger council configured in knowledge/councils")
        self.db, self.councils = db, councils
        self.clock = clock
        self.public_base_url = public_base_url.rstrip("/")

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        """One transaction; losing a version check (or a unique key race) anywhere in it means "stale"."""
        try:
            async with self.db.sessions() as session, session.begin():
                yield session
        except (StaleDataError, IntegrityError) as exc:
            raise AgendaError("stale", item="", state="") from exc

    def now(self) -> datetime:
        return _utc(self.clock()) if self.clock else datetime.now(UTC)

    # ---- councils, members, meetings -------------------------------------------------------------------
    async def council(self, council_id: str, session: AsyncSession | None = None) -> Council:
        base = self.councils.get(council_id)
        if base is None:
            raise AgendaError("unknown_council")
        if session is None:
            async with self.db.sessions() as s:
                return await self._merge_members(s, base)
        return await self._merge_members(session, base)

    async def _merge_members(self, session: AsyncSession, base: Council) -> Council:
        rows = (await session.execute(select(AgendaMember).where(AgendaMember.council_id == base.id))).scalars()
        members = {m.aad_id: m for m in base.members}
        for row in rows:
            if row.active:
                members[row.aad_id] = Member(row.aad_id, row.name, row.party, row.role, row.email)
            else:
                members.pop(row.aad_id, None)
        return base.with_members(tuple(members.values()))

    async def councils_of(self, aad_id: str) -> list[Council]:
        """The councils whose follow-up group includes this person (their own role there)."""
        out = []
        async with self.db.sessions() as session:
            for base in self.councils.values():
                council = await self._merge_members(session, base)
                if council.member(aad_id):
                    out.append(council)
        return out

    async def home_council(self, aad_id: str) -> Council:
        mine = await self.councils_of(aad_id)
        return mine[0] if mine else await self.council(next(iter(self.councils)))

    def upcoming(self, council: Council, now: datetime | None = None) -> list[Meeting]:
        now = now or self.now()
        return [m for m in council.meetings if dl.meeting_start_utc(council, m) > now]

    def next_meeting(self, council: Council) -> Meeting | None:
        upcoming = self.upcoming(council)
        return upcoming[0] if upcoming else None

    def last_meeting(self, council: Council) -> Meeting | None:
        held = [m for m in council.meetings if dl.meeting_start_utc(council, m) <= self.now()]
        return held[-1] if held else None

    async def _meeting_row(self, session: AsyncSession, council_id: str, key: str) -> AgendaMeeting:
        """The meeting's row, created on first use; two first users at once both end up with the same row."""
        stmt = select(AgendaMeeting).where(AgendaMeeting.council_id == council_id, AgendaMeeting.meeting_key == key)
        row = (await session.execute(stmt)).scalar_one_or_none()
        if row is None:
            if session.bind.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            await session.execute(insert(AgendaMeeting).values(
                council_id=council_id, meeting_key=key, deadlines="{}", sequence=0, version=1,
            ).on_conflict_do_nothing())
            row = (await session.execute(stmt)).scalar_one()
        return row

    async def deadlines(self, council: Council, meeting: Meeting, session: AsyncSession | None = None) -> dl.Deadlines:
        async def read(s: AsyncSession) -> dl.Deadlines:
            stmt = select(AgendaMeeting.deadlines).where(AgendaMeeting.council_id == council.id,
                                                         AgendaMeeting.meeting_key == meeting.key)
            raw = (await s.execute(stmt)).scalar_one_or_none()
            overrides = {k: date.fromisoformat(v) for k, v in json.loads(raw or "{}").items()}
            return dl.compute(council, meeting, overrides)
        if session is not None:
            return await read(session)
        async with self.db.sessions() as s:
            return await read(s)

    def _meeting(self, council: Council, key: str | None) -> Meeting:
        meeting = council.meeting(key or "")
        if meeting is None:
            raise AgendaError("unknown_meeting", meeting=key or "")
        return meeting

    async def set_deadlines(self, council_id: str, meeting_key: str, actor: Actor, changes: dict[str, date]) -> dl.Deadlines:
        """The secretariat moves one meeting's deadlines; reminders that depend on them move too."""
        async with self._tx() as session:
            council = await self.council(council_id, session)
            self._require_role(council, actor, {"secretariat"}, "set_deadlines")
            meeting = self._meeting(council, meeting_key)
            for name in changes:
                if name not in DEADLINES:
                    raise AgendaError("unknown_deadline", deadline=name)
            row = await self._meeting_row(session, council.id, meeting.key)
            merged = {**json.loads(row.deadlines or "{}"), **{k: v.isoformat() for k, v in changes.items()}}
            result = dl.compute(council, meeting, {k: date.fromisoformat(v) for k, v in merged.items()})
            wrong = dl.check_order(result.dates, meeting.starts.date())
            if wrong:
                raise AgendaError("deadline_order", deadline=wrong)
            row.deadlines = json.dumps(merged, sort_keys=True)
            await cancel(session, f"agenda:meeting:{council.id}:{meeting.key}")
            await self._schedule_comment_notices(session, council, meeting, result)
            await self._flush(session)
            return result

    async def set_member(self, council_id: str, actor: Actor, member: Member, active: bool = True) -> Council:
        async with self._tx() as session:
            council = await self.council(council_id, session)
            self._require_role(council, actor, {"secretariat"}, "manage_members")
            if member.role not in ROLES:
                raise AgendaError("unknown_role", role=member.role)
            if member.party not in council.parties:
                raise AgendaError("unknown_party", party=member.party, parties=list(council.parties))
            aad = member.aad_id.strip().lower()
            if not aad or len(aad) > 64:
                raise AgendaError("required", field="aad_id")
            if aad == actor.aad_id.lower() and (not active or member.role != "secretariat"):
                raise AgendaError("cannot_remove_self")
            stmt = select(AgendaMember).where(AgendaMember.council_id == council.id, AgendaMember.aad_id == aad)
            row = (await session.execute(stmt)).scalar_one_or_none()
            if row is None:
                row = AgendaMember(council_id=council.id, aad_id=aad)
                session.add(row)
            row.name, row.party, row.role, row.email = member.name, member.party, member.role, member.email
            row.active, row.updated_by, row.updated_at = active, actor.aad_id, self.now()
            await session.flush()
            return await self._merge_members(session, self.councils[council.id])

    def _require_role(self, council: Council, actor: Actor, roles: set[str], action: str) -> Member:
        member = council.member(actor.aad_id)
        if member is None or member.role not in roles:
            raise AgendaError("not_your_role", action=action, state="", allowed=[], roles=sorted(roles))
        return member

    # ---- relations and reading ---------------------------------------------------------------------------
    @staticmethod
    def relations(council: Council, item: AgendaItem | None, aad_id: str) -> frozenset[str]:
        member = council.member(aad_id)
        if member is None:
            return frozenset({"public"})
        out = {member.role}
        if item is not None and item.submitter_aad == member.aad_id:
            out.add("submitter")
        if item is not None and member.party == item.responsible_party:
            out.add("responsible")
        return frozenset(out)

    async def get(self, item_id: int, actor: Actor) -> tuple[AgendaItem, Council, frozenset[str]]:
        async with self.db.sessions() as session:
            item = await session.get(AgendaItem, item_id)
            if item is None:
                raise AgendaError("unknown_item", item=item_id)
            council = await self.council(item.council_id, session)
            rel = self.relations(council, item, actor.aad_id)
            if rel == {"public"} and item.state not in PUBLISHED_STATES:
                raise AgendaError("unknown_item", item=item_id)  # the public sees published items only
            return item, council, rel

    def allowed(self, item: AgendaItem, rel: frozenset[str]) -> list[str]:
        return allowed_actions(item.state, rel)

    async def history(self, item_id: int) -> list[AgendaTransition]:
        async with self.db.sessions() as session:
            stmt = select(AgendaTransition).where(AgendaTransition.item_id == item_id).order_by(AgendaTransition.id)
            return list((await session.execute(stmt)).scalars())

    async def comments(self, item_id: int) -> list[AgendaComment]:
        async with self.db.sessions() as session:
            stmt = select(AgendaComment).where(AgendaComment.item_id == item_id).order_by(AgendaComment.id)
            return list((await session.execute(stmt)).scalars())

    async def mine(self, aad_id: str) -> list[AgendaItem]:
        async with self.db.sessions() as session:
            stmt = select(AgendaItem).where(AgendaItem.submitter_aad == aad_id.lower()).order_by(AgendaItem.id.desc())
            return list((await session.execute(stmt)).scalars())

    async def items(self, council_id: str, states: tuple[str, ...], meeting_key: str | None = None) -> list[AgendaItem]:
        async with self.db.sessions() as session:
            stmt = select(AgendaItem).where(AgendaItem.council_id == council_id, AgendaItem.state.in_(states))
            if meeting_key is not None:
                stmt = stmt.where(AgendaItem.meeting_key == meeting_key)
            stmt = stmt.order_by(AgendaItem.position.is_(None), AgendaItem.position, AgendaItem.id)
            return list((await session.execute(stmt)).scalars())

    async def meeting_state(self, council_id: str, meeting_key: str) -> AgendaMeeting | None:
        async with self.db.sessions() as session:
            stmt = select(AgendaMeeting).where(AgendaMeeting.council_id == council_id,
                                               AgendaMeeting.meeting_key == meeting_key)
            return (await session.execute(stmt)).scalar_one_or_none()

    # ---- changes --------------------------------------------------------------------------------------------
    async def create(self, council_id: str, actor: Actor, fields: ItemFields, submit: bool = True) -> AgendaItem:
        """A group member proposes an item (all Parties may, 3.2.4); ``submit`` sends it straight on."""
        async with self._tx() as session:
            council = await self.council(council_id, session)
            member = council.member(actor.aad_id)
            if member is None:
                raise AgendaError("not_a_member", council=council.name)
            now = self.now()
            clean = self._clean_fields(council, fields)
            item = AgendaItem(council_id=council.id, state="draft", submitter_aad=member.aad_id,
                              submitter_name=member.name, submitter_party=member.party, created_at=now,
                              updated_at=now, late=False, **clean)
            session.add(item)
            await session.flush()
            self._record(session, item, "create", None, "draft", actor, member.role, None, now)
            if submit:
                await self._apply(session, council, item, "submit", actor, now)
            await self._flush(session)
            return item

    def _clean_fields(self, council: Council, fields: ItemFields) -> dict[str, Any]:
        if fields.ask not in ASKS:
            raise AgendaError("unknown_ask", asks=list(ASKS))
        if fields.responsible_party not in council.parties:
            raise AgendaError("unknown_party", party=fields.responsible_party, parties=list(council.parties))
        meeting_key = fields.meeting_key or None
        if meeting_key is not None:
            meeting = self._meeting(council, meeting_key)
            if dl.meeting_start_utc(council, meeting) <= self.now():
                raise AgendaError("meeting_passed", meeting=meeting_key)
        else:
            upcoming = self.next_meeting(council)
            meeting_key = upcoming.key if upcoming else None
        return {"title": _text(fields.title, "title"), "description": _text(fields.description, "description"),
                "ask": fields.ask, "responsible_party": fields.responsible_party,
                "decision_date": fields.decision_date, "closed_session": bool(fields.closed_session),
                "meeting_key": meeting_key}

    async def act(self, item_id: int, action: str, actor: Actor, *, expected_version: int | None = None,
                  **params: Any) -> AgendaItem:
        """Apply one action to one item. ``expected_version`` is the version the actor saw (from the card):
        if somebody else acted since, the action is refused instead of silently overriding theirs."""
        try:
            async with self._tx() as session:
                item = await session.get(AgendaItem, item_id)
                if item is None:
                    raise AgendaError("unknown_item", item=item_id)
                council = await self.council(item.council_id, session)
                if expected_version is not None and item.version != expected_version:
                    raise AgendaError("stale", item=item.id, state=item.state)
                await self._apply(session, council, item, action, actor, self.now(), **params)
                await self._flush(session)
                return item
        except AgendaError as err:
            raise await self._explained(err, item_id) from err

    async def _explained(self, err: AgendaError, item_id: int) -> AgendaError:
        """A lost version check says which item and what it is now (read after the winner committed)."""
        if err.response_key != "stale" or err.variables.get("state"):
            return err
        async with self.db.sessions() as session:
            item = await session.get(AgendaItem, item_id)
        return AgendaError("stale", item=item_id, state=item.state if item else "")

    async def _flush(self, session: AsyncSession) -> None:
        try:
            await session.flush()
        except (StaleDataError, IntegrityError) as exc:  # somebody else's change won the version check
            raise AgendaError("stale", item="", state="") from exc

    async def _apply(self, session: AsyncSession, council: Council, item: AgendaItem, action: str, actor: Actor,
                     now: datetime, **params: Any) -> None:
        rel = self.relations(council, item, actor.aad_id)
        rule = check(item.state, action, rel)
        role = (council.member(actor.aad_id) or Member("", "", "", "public")).role
        reason = params.get("reason")
        reason = _text(reason, "reason", required=rule.needs_reason) or None
        source = item.state
        handler = getattr(self, f"_do_{action}")
        extra = {k: v for k, v in params.items() if k != "reason"}
        note = await handler(session, council, item, actor, now, reason=reason, **extra)
        target = rule.target or item.state
        if action != "comment":
            item.state = target
            item.updated_at = now
            self._record(session, item, action, source, target, actor, role, note or reason, now)

    @staticmethod
    def _record(session: AsyncSession, item: AgendaItem, action: str, source: str | None, target: str,
                actor: Actor, role: str, reason: str | None, now: datetime) -> None:
        session.add(AgendaTransition(item_id=item.id, action=action, from_state=source, to_state=target,
                                     actor_aad=actor.aad_id, actor_name=actor.name or actor.aad_id,
                                     actor_role=role, reason=reason, at=now))

    # One method per action: validate its own parameters, change the item, enqueue the notices.
    async def _do_edit(self, session, council, item, actor, now, fields: ItemFields | None = None, **_):  # type: ignore[no-untyped-def]
        if fields is None:
            raise AgendaError("required", field="title")
        for key, value in self._clean_fields(council, fields).items():
            setattr(item, key, value)

    async def _do_submit(self, session, council, item, actor, now, fields: ItemFields | None = None, **_):  # type: ignore[no-untyped-def]
        if fields is not None:
            await self._do_edit(session, council, item, actor, now, fields=fields)
        meeting = council.meeting(item.meeting_key or "")
        item.late = bool(meeting and (await self.deadlines(council, meeting, session)).is_late(now))
        for m in council.members:
            if m.role in ("secretariat", "chairperson"):
                self._notify(session, item, m, "submitted", now, late=item.late, party=item.submitter_party)
        return "late" if item.late else None

    async def _do_request_changes(self, session, council, item, actor, now, reason=None, **_):  # type: ignore[no-untyped-def]
        self._notify_submitter(session, council, item, "changes_requested", now, reason=reason)

    async def _do_accept(self, session, council, item, actor, now, meeting_key=None, position=None, **_):  # type: ignore[no-untyped-def]
        meeting = self._meeting(council, meeting_key or item.meeting_key)
        if dl.meeting_start_utc(council, meeting) <= now:
            raise AgendaError("meeting_passed", meeting=meeting.key)
        try:
            pos = int(position)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise AgendaError("position_required") from None
        if not 1 <= pos <= 99:
            raise AgendaError("position_required")
        stmt = select(AgendaItem.position).where(
            AgendaItem.council_id == council.id, AgendaItem.meeting_key == meeting.key, AgendaItem.id != item.id,
            AgendaItem.state.in_(("accepted", *PUBLISHED_STATES)))
        taken = sorted(p for p in (await session.execute(stmt)).scalars() if p is not None)
        if pos in taken:
            raise AgendaError("position_taken", position=pos, taken=taken)
        item.meeting_key, item.position = meeting.key, pos
        deadlines = await self.deadlines(council, meeting, session)
        await self._schedule_comment_notices(session, council, meeting, deadlines)
        self._notify_submitter(session, council, item, "accepted", now, position=pos,
                               meeting=meeting.starts.strftime("%d.%m.%Y"))
        return f"{meeting.key} #{pos}"

    async def _do_decline(self, session, council, item, actor, now, reason=None, **_):  # type: ignore[no-untyped-def]
        self._notify_submitter(session, council, item, "declined", now, reason=reason)

    async def _do_defer(self, session, council, item, actor, now, reason=None, meeting_key=None, **_):  # type: ignore[no-untyped-def]
        old = item.meeting_key
        target = None
        if meeting_key:
            target = self._meeting(council, meeting_key)
            if dl.meeting_start_utc(council, target) <= now or target.key == old:
                raise AgendaError("defer_later", meeting=target.key)
        if item.state == "on_agenda" and old:  # a published agenda changes: the invitation's SEQUENCE rises
            await self._bump(session, council.id, old, now)
        item.meeting_key, item.position = (target.key if target else None), None
        self._notify_submitter(session, council, item, "deferred", now, reason=reason or "",
                               meeting=target.starts.strftime("%d.%m.%Y") if target else "")
        return reason or (f"-> {target.key}" if target else None)

    async def _do_withdraw(self, session, council, item, actor, now, **_):  # type: ignore[no-untyped-def]
        await cancel(session, f"agenda:item:{item.id}")
        if item.state != "draft":
            for m in council.members:
                if m.role in ("secretariat", "chairperson"):
                    self._notify(session, item, m, "withdrawn", now)

    async def _do_comment(self, session, council, item, actor, now, text=None, **_):  # type: ignore[no-untyped-def]
        body = _text(text, "text")
        meeting = self._meeting(council, item.meeting_key)
        deadlines = await self.deadlines(council, meeting, session)
        if not deadlines.comments_open(now):
            raise AgendaError("comments_closed", opens=deadlines.dates["comments_open"].isoformat(),
                              closes=deadlines.dates["comments_close"].isoformat())
        member = council.member(actor.aad_id)
        assert member is not None  # the rule admits group members only
        session.add(AgendaComment(item_id=item.id, author_aad=member.aad_id, author_name=member.name,
                                  author_party=member.party, text=body, created_at=now))

    async def _do_record_outcome(self, session, council, item, actor, now, outcome=None,  # type: ignore[no-untyped-def]
                                 request_feedback: bool = False, **_):
        meeting = self._meeting(council, item.meeting_key)
        if dl.meeting_start_utc(council, meeting) > now:
            raise AgendaError("meeting_not_held", meeting=meeting.starts.strftime("%d.%m.%Y"))
        item.outcome = _text(outcome, "outcome")
        self._notify_submitter(session, council, item, "outcome", now)
        return None

    async def _do_request_feedback(self, session, council, item, actor, now, **_):  # type: ignore[no-untyped-def]
        meeting = self._meeting(council, item.meeting_key)
        deadlines = await self.deadlines(council, meeting, session)
        due_text = deadlines.dates["feedback"].strftime("%d.%m.%Y")
        for m in council.members:
            if m.party == item.responsible_party:
                self._notify(session, item, m, "feedback_requested", now, due=due_text)
                remind = deadlines.reminder("feedback", council.feedback_reminder_days)
                if remind > now:
                    self._notify(session, item, m, "feedback_reminder", now, run_at=remind, due=due_text)

    async def _do_give_feedback(self, session, council, item, actor, now, feedback=None, **_):  # type: ignore[no-untyped-def]
        item.feedback = _text(feedback, "feedback")
        member = council.member(actor.aad_id)
        item.feedback_by = f"{member.name} ({member.party})" if member else actor.name
        await cancel(session, f"agenda:item:{item.id}")
        for m in council.members:  # shown to the submitter and the whole follow-up group
            self._notify(session, item, m, "feedback_given", now, party=member.party if member else "",
                         feedback="" if item.closed_session else item.feedback)

    async def _do_close(self, session, council, item, actor, now, **_):  # type: ignore[no-untyped-def]
        await cancel(session, f"agenda:item:{item.id}")

    async def record_outcome(self, item_id: int, actor: Actor, outcome: str, *, expected_version: int | None = None,
                             request_feedback: bool = True) -> AgendaItem:
        """After the meeting: the minutes' outcome, then (by default) ask the responsible party for feedback."""
        try:
            async with self._tx() as session:
                item = await session.get(AgendaItem, item_id)
                if item is None:
                    raise AgendaError("unknown_item", item=item_id)
                if expected_version is not None and item.version != expected_version:
                    raise AgendaError("stale", item=item.id, state=item.state)
                council = await self.council(item.council_id, session)
                now = self.now()
                await self._apply(session, council, item, "record_outcome", actor, now, outcome=outcome)
                await self._flush(session)
                if request_feedback:
                    await self._apply(session, council, item, "request_feedback", actor, now)
                    await self._flush(session)
                return item
        except AgendaError as err:
            raise await self._explained(err, item_id) from err

    async def publish(self, council_id: str, meeting_key: str, actor: Actor,
                      expected: dict[int, int] | None = None) -> list[AgendaItem]:
        """Put every accepted item of the meeting on the agenda at once, or none of them.

        ``expected`` maps item id -> version as the publisher saw the draft; any difference refuses."""
        async with self._tx() as session:
            council = await self.council(council_id, session)
            self._require_role(council, actor, {"secretariat", "chairperson"}, "publish")
            meeting = self._meeting(council, meeting_key)
            now = self.now()
            if dl.meeting_start_utc(council, meeting) <= now:
                raise AgendaError("meeting_passed", meeting=meeting.key)
            stmt = select(AgendaItem).where(AgendaItem.council_id == council.id,
                                            AgendaItem.meeting_key == meeting.key, AgendaItem.state == "accepted")
            items = list((await session.execute(stmt)).scalars())
            if expected is not None and {i.id: i.version for i in items} != expected:
                raise AgendaError("publish_stale")
            row = await self._meeting_row(session, council.id, meeting.key)
            if not items:
                raise AgendaError("nothing_to_publish")
            role = (council.member(actor.aad_id) or Member("", "", "", "")).role
            for item in items:
                item.state, item.updated_at = "on_agenda", now
                self._record(session, item, "publish", "accepted", "on_agenda", actor, role, None, now)
                self._notify_submitter(session, council, item, "on_agenda", now, position=item.position or 0)
            if row.published_at is None:
                row.published_at = now
            else:
                row.sequence += 1
            row.changed_at = now
            url = self.public_url(council.id, meeting.key)
            for m in council.members:
                self._notify(session, None, m, "published", now, subject=f"agenda:published:{council.id}:{meeting.key}",
                             idem=f"agenda:{council.id}:{meeting.key}:published:{row.sequence}:{m.aad_id}",
                             url=url, meeting=meeting.starts.strftime("%d.%m.%Y"), count=len(items))
            await self._flush(session)
            return items

    async def _bump(self, session: AsyncSession, council_id: str, meeting_key: str, now: datetime) -> None:
        row = await self._meeting_row(session, council_id, meeting_key)
        if row.published_at is not None:
            row.sequence += 1
            row.changed_at = now

    def public_url(self, council_id: str, meeting_key: str, suffix: str = "") -> str:
        return f"{self.public_base_url}/passagerraad/{council_id}/{meeting_key}{suffix}"

    # ---- notices ----------------------------------------------------------------------------------------------
    def _notify_submitter(self, session: AsyncSession, council: Council, item: AgendaItem, key: str, now: datetime,
                          **variables: Any) -> None:
        member = council.member(item.submitter_aad) or Member(item.submitter_aad, item.submitter_name, "", "member")
        self._notify(session, item, member, key, now, **variables)

    def _notify(self, session: AsyncSession, item: AgendaItem | None, member: Member, key: str, now: datetime, *,
                run_at: datetime | None = None, subject: str | None = None, **variables: Any) -> None:
        """A notice through the task backend. Closed-session items never put their title into the task."""
        idem = variables.pop("idem", None)
        if item is not None:
            variables = {"item": item.id, "title": "" if item.closed_session else item.title, **variables}
            subject = subject or f"agenda:item:{item.id}"
            idem = idem or f"agenda:item:{item.id}:{key}:{item.version}:{member.aad_id}"
        enqueue(session, "notify",
                {"recipient": {"aad_id": member.aad_id, "email": member.email, "name": member.name},
                 "template": ["AgendaNotices", key], "vars": variables, "lang": member.lang, "card": None},
                subject=subject, run_at=run_at, idempotency_key=idem)

    async def _schedule_comment_notices(self, session: AsyncSession, council: Council, meeting: Meeting,
                                        deadlines: dl.Deadlines) -> None:
        """Tell the follow-up group when the comment window opens (once per meeting and window)."""
        opens = deadlines.instant("comments_open")
        stamp = deadlines.dates["comments_open"].isoformat() + "-" + deadlines.dates["comments_close"].isoformat()
        subject = f"agenda:meeting:{council.id}:{meeting.key}"
        now = self.now()
        if now >= deadlines.instant("comments_close"):
            return
        keys = {f"agenda:{council.id}:{meeting.key}:comments:{stamp}:{m.aad_id}": m for m in council.members}
        existing = set((await session.execute(
            select(Task.idempotency_key).where(Task.idempotency_key.in_(list(keys))))).scalars())
        for idem, member in keys.items():
            if idem not in existing:
                self._notify(session, None, member, "comments_open", now, run_at=max(opens, now), subject=subject,
                             idem=idem, meeting=meeting.starts.strftime("%d.%m.%Y"),
                             closes=deadlines.dates["comments_close"].strftime("%d.%m.%Y"))


@dataclass(frozen=True)
class PublicItem:
    """One line of the public agenda. A closed-session item carries nothing but its position."""

    position: int
    closed_session: bool
    title: str = ""
    description: str = ""
    ask: str = ""
    responsible_party: str = ""
    outcome: str = ""


@dataclass(frozen=True)
class PublicAgenda:
    council_id: str
    council_name: str
    meeting_key: str
    starts: datetime  # aware, council time zone
    ends: datetime
    place: str
    published_at: datetime
    changed_at: datetime
    sequence: int
    items: tuple[PublicItem, ...]
    held: bool  # the meeting has taken place: outcomes may show


async def public_agenda(service: AgendaService, council_id: str, meeting_key: str) -> PublicAgenda | None:
    """The published agenda as the public may see it, or None when it is not published (or unknown)."""
    from zoneinfo import ZoneInfo

    base = service.councils.get(council_id)
    meeting = base.meeting(meeting_key) if base else None
    if base is None or meeting is None:
        return None
    row = await service.meeting_state(council_id, meeting_key)
    if row is None or row.published_at is None:
        return None
    items = await service.items(council_id, PUBLISHED_STATES, meeting_key)
    public = []
    for item in items:
        if item.closed_session:
            public.append(PublicItem(position=item.position or 0, closed_session=True))
            continue
        shows_outcome = item.state in ("treated", "awaiting_feedback", "feedback_given", "closed")
        public.append(PublicItem(position=item.position or 0, closed_session=False, title=item.title,
                                 description=item.description, ask=item.ask,
                                 responsible_party=item.responsible_party,
                                 outcome=(item.outcome or "") if shows_outcome else ""))
    tz = ZoneInfo(base.timezone)
    starts = meeting.starts.replace(tzinfo=tz)
    return PublicAgenda(base.id, base.name, meeting.key, starts, starts + timedelta(minutes=meeting.duration_minutes),
                        meeting.place, _utc(row.published_at), _utc(row.changed_at or row.published_at), row.sequence,
                        tuple(public), dl.meeting_start_utc(base, meeting) <= service.now())
