"""The confidential-reporting service: submit, follow up with a code, and the recipients' case work.

Only a report's recipient set (fixed at submission, minus an excluded recipient, plus audited grants)
can read or act on it; anybody else gets ``ReportNotFound``, exactly as for a reference that does not
exist. The reporter proves nothing but knowledge of the reference and the follow-up code; wrong, unknown
and locked all give ``FollowUpRefused``. Nothing here logs, and no exception carries content.
"""
from __future__ import annotations

import asyncio
import calendar
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from services.db import Database
from services.reports import audit
from services.reports.codes import CodeHasher, new_code, new_ref
from services.reports.crypto import MasterKeys, new_data_key, open_sealed, seal
from services.reports.draft import DraftVault
from services.reports.models import ReportAudit, ReportCase, ReportIdentity, ReportMessage
from services.reports.policy import Policies, Policy
from services.tasks import Task, cancel, enqueue

WHERE = ("council", "committee", "group", "social_media", "citizens", "other")
LIMITS = {"what": 4000, "when": 200, "reply": 4000, "reason": 1000, "info": 4000}
MAX_FAILED = 5  # wrong codes before a lock
LOCK = timedelta(hours=1)
ACK_DAYS, ACK_REMIND_BEFORE = 7, 2
FEEDBACK_MONTHS, FEEDBACK_REMIND_BEFORE = 3, 14
NOTICE_HOUR = time(7, 0, tzinfo=UTC)  # reminders arrive in the morning (08/09 Danish time)
TRANSITIONS = {
    "received": ("acknowledged", "closed"),
    "acknowledged": ("in_progress", "police", "feedback_given", "closed"),
    "in_progress": ("police", "feedback_given", "closed"),
    "police": ("in_progress", "feedback_given", "closed"),
    "feedback_given": ("in_progress", "closed"),
    "closed": (),
}
NEEDS_REASON = ("police", "closed")
RETENTION_KIND = "report_retention"  # a task that runs ReportService.run_retention on the deletion day
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


class ReportNotFound(Exception):
    """No such report, or not one this person may see: the same answer for both."""


class FollowUpRefused(Exception):
    """Unknown reference, wrong code, locked case or hash budget spent: the same answer for all."""


class ReportInputError(Exception):
    """Input the reporter or a recipient can fix; ``key`` names a reply in Report.yaml."""

    def __init__(self, key: str, **variables: object) -> None:
        super().__init__(key)
        self.key, self.variables = key, variables


def clean_text(value: object, field_name: str, *, required: bool = True) -> str:
    """NFC, no control or bidi characters, normalized newlines, within the field's limit."""
    text = unicodedata.normalize("NFC", str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\t", " ")).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    if required and not text:
        raise ReportInputError("empty_field", field=field_name)
    if len(text) > LIMITS[field_name]:
        raise ReportInputError("too_long", field=field_name, limit=LIMITS[field_name], length=len(text))
    return text


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def at_morning(day: date) -> datetime:
    return datetime.combine(day, NOTICE_HOUR)


@dataclass(frozen=True)
class Draft:
    municipality: str
    anonymous: bool
    what: str
    when: str = ""
    where: str = "other"
    exclude: str = ""  # an implicated recipient's aad_id, where the policy allows
    wants_conversation: bool = False


@dataclass(frozen=True)
class Reporter:
    """A named reporter (never stored for anonymous reports)."""

    aad_id: str
    name: str
    user_id: str = ""


@dataclass(frozen=True)
class Receipt:
    ref: str
    code: str  # shown once, never stored
    municipality: str
    ack_due: date
    feedback_due: date


@dataclass(frozen=True)
class Message:
    author_kind: str
    kind: str  # reply | info | reason
    author: str  # a recipient's role and name; '' for the reporter
    day: date
    text: str
    status: str = ""


@dataclass(frozen=True)
class Summary:
    ref: str
    municipality: str
    status: str
    created_on: date
    ack_due: date
    feedback_due: date
    anonymous: bool


@dataclass(frozen=True)
class CaseView:
    summary: Summary
    what: str
    when: str
    where: str
    wants_conversation: bool
    recipients: list[dict]
    excluded: dict | None
    reporter: dict | None  # name (and object id) of a named reporter
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class ReporterView:
    ref: str
    municipality: str
    status: str
    created_on: date
    messages: list[Message]


class ReportService:
    def __init__(self, db: Database, policies: Policies, keys: MasterKeys, hasher: CodeHasher | None = None) -> None:
        self.db, self.policies, self.keys = db, policies, keys
        self.hasher = hasher or CodeHasher()
        self.drafts = DraftVault(keys=keys)

    # ---- the reporter -------------------------------------------------------------------------
    def check_draft(self, draft: Draft) -> Policy:
        policy = self.policies.get(draft.municipality)
        if policy is None:
            raise ReportInputError("unknown_municipality")
        if draft.anonymous and not policy.anonymous_allowed:
            raise ReportInputError("anonymous_not_allowed", municipality=policy.municipality)
        if draft.exclude and (not policy.exclusion_allowed or not policy.recipient(draft.exclude)
                              or len(policy.recipients) < 2):  # somebody must still receive it
            raise ReportInputError("exclusion_not_allowed")
        if draft.where not in WHERE:
            raise ReportInputError("bad_where")
        return policy

    async def submit(self, draft: Draft, reporter: Reporter | None, now: datetime) -> Receipt:
        policy = self.check_draft(draft)
        what, when = clean_text(draft.what, "what"), clean_text(draft.when, "when", required=False)
        if not draft.anonymous and (reporter is None or not reporter.aad_id):
            raise ReportInputError("named_needs_identity")
        code = new_code()
        code_hash = await self.hasher.hash(code)
        for attempt in range(5):  # a concurrent writer (SQLite's lock, an audit fork) must not lose a report
            try:
                return await self._store(policy, draft, reporter, what, when, code, code_hash, now)
            except (IntegrityError, OperationalError):
                if attempt == 4:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1) + secrets.randbelow(50) / 1000)
        raise AssertionError("unreachable")

    async def _store(self, policy: Policy, draft: Draft, reporter: Reporter | None, what: str, when: str,
                     code: str, code_hash: str, now: datetime) -> Receipt:
        today = now.date()
        recipients = [r for r in policy.recipients if r.aad_id != draft.exclude]
        excluded = policy.recipient(draft.exclude) if draft.exclude else None
        data_key = new_data_key()
        async with self.db.sessions() as session, session.begin():
            ref = new_ref()
            while await session.get(ReportCase, ref) is not None:
                ref = new_ref()
            content = {"what": what, "when": when, "where": draft.where,
                       "wants_conversation": bool(draft.wants_conversation),
                       "excluded": _person(excluded) if excluded else None}
            access = {"recipients": [_person(r) for r in recipients], "granted": []}
            session.add(ReportCase(
                ref=ref, municipality=policy.municipality, policy_version=policy.version, status="received",
                anonymous=draft.anonymous, created_on=today, wrapped_key=self.keys.wrap(ref, data_key),
                content=seal(data_key, ref, "content", _dump(content)),
                access=seal(data_key, ref, "access", _dump(access)),
                code_hash=code_hash, failed_attempts=0,
            ))
            await session.flush()
            if not draft.anonymous and reporter is not None:
                identity = {"aad_id": reporter.aad_id, "name": reporter.name, "user_id": reporter.user_id}
                session.add(ReportIdentity(ref=ref, identity=seal(data_key, ref, "identity", _dump(identity))))
            await audit.append(session, today, "reporter", "submitted", ref, f"policy_version={policy.version}")
            ack_due, feedback_due = today + timedelta(days=ACK_DAYS), add_months(today, FEEDBACK_MONTHS)
            self._schedule(session, ref, policy.municipality, recipients, now, ack_due, feedback_due)
        return Receipt(ref, code, policy.municipality, ack_due, feedback_due)

    def _schedule(self, session: AsyncSession, ref: str, municipality: str, recipients: list, now: datetime,
                  ack_due: date, feedback_due: date) -> None:
        plan = [
            ("received", _later(now), f"report:{ref}"),
            ("ack_reminder", at_morning(ack_due - timedelta(days=ACK_REMIND_BEFORE)), f"report:{ref}:ack"),
            ("ack_overdue", at_morning(ack_due + timedelta(days=1)), f"report:{ref}:ack"),
            ("feedback_reminder", at_morning(feedback_due - timedelta(days=FEEDBACK_REMIND_BEFORE)), f"report:{ref}:feedback"),
            ("feedback_overdue", at_morning(feedback_due + timedelta(days=1)), f"report:{ref}:feedback"),
        ]
        for recipient in recipients:
            for key, run_at, subject in plan:
                self._notify(session, recipient if isinstance(recipient, dict) else _person(recipient), key, subject,
                             run_at, now.date(), municipality=municipality, ref=ref,
                             ack_due=ack_due.isoformat(), feedback_due=feedback_due.isoformat())

    def _schedule_remaining(self, session: AsyncSession, case: ReportCase, person: dict, now: datetime) -> None:
        """The deadline notices still ahead, for a recipient who joined the case late."""
        summary = _summary(case)
        plan = []
        if case.acknowledged_on is None and case.status == "received":
            plan += [("ack_reminder", at_morning(summary.ack_due - timedelta(days=ACK_REMIND_BEFORE)), "ack"),
                     ("ack_overdue", at_morning(summary.ack_due + timedelta(days=1)), "ack")]
        if case.feedback_on is None and case.status != "closed":
            plan += [("feedback_reminder", at_morning(summary.feedback_due - timedelta(days=FEEDBACK_REMIND_BEFORE)), "feedback"),
                     ("feedback_overdue", at_morning(summary.feedback_due + timedelta(days=1)), "feedback")]
        for key, run_at, kind in plan:
            if run_at > now:
                self._notify(session, person, key, f"report:{case.ref}:{kind}", run_at, now.date(),
                             municipality=case.municipality, ref=case.ref, ack_due=summary.ack_due.isoformat(),
                             feedback_due=summary.feedback_due.isoformat())

    def _notify(self, session: AsyncSession, person: dict, key: str, subject: str, run_at: datetime, today: date,
                **variables: str) -> Task:
        """A content-free notice through the task backend; the row's creation time is coarsened to the day."""
        task = enqueue(session, "notify", {
            "recipient": {"aad_id": person["aad_id"], "email": person.get("email", ""), "name": person["name"]},
            "template": ["ReportNotices", key], "vars": variables, "lang": "da", "card": None,
        }, subject=subject, run_at=run_at, idempotency_key=f"{subject}:{key}:{person['aad_id']}:{secrets.token_hex(6)}")
        task.created_at = datetime.combine(today, time(0, tzinfo=UTC))
        return task

    async def _verify_code(self, ref: str | None, code: str, now: datetime) -> str:
        """The reference when ``code`` is right and the case not locked; otherwise FollowUpRefused.

        Hashing happens outside any transaction, and a wrong try is committed on its own, so the
        counter survives the refusal.
        """
        async with self.db.sessions() as session:
            case = await session.get(ReportCase, ref) if ref else None
            locked = case is not None and case.locked_until is not None and _aware(case.locked_until) > now
            encoded = None if (case is None or locked) else case.code_hash
        ok = await self.hasher.verify(encoded, code)
        if ok and case is not None:
            if case.failed_attempts:
                async with self.db.sessions() as session, session.begin():
                    await session.execute(update(ReportCase).where(ReportCase.ref == case.ref).values(failed_attempts=0))
            return case.ref
        if case is not None and not locked:
            async with self.db.sessions() as session, session.begin():
                await session.execute(update(ReportCase).where(ReportCase.ref == case.ref)
                                      .values(failed_attempts=ReportCase.failed_attempts + 1))
                row = await session.get(ReportCase, case.ref, populate_existing=True)
                if row is not None and row.failed_attempts >= MAX_FAILED:
                    row.failed_attempts, row.locked_until = 0, _ceil_hour(now + LOCK)
                    await audit.append(session, now.date(), "unknown", "followup_locked", row.ref)
        raise FollowUpRefused()

    async def follow_up(self, ref: str | None, code: str, now: datetime) -> ReporterView:
        verified = await self._verify_code(ref, code, now)
        async with self.db.sessions() as session, session.begin():
            case = await session.get(ReportCase, verified)
            if case is None:
                raise FollowUpRefused()
            await audit.append(session, now.date(), "reporter", "followed_up", case.ref)
            key = self.keys.unwrap(case.ref, case.wrapped_key)
            messages = [m for m in await self._messages(session, case, key) if m.kind != "note"]
            return ReporterView(case.ref, case.municipality, case.status, case.created_on, messages)

    async def add_information(self, ref: str | None, code: str, text: str, now: datetime) -> None:
        body = clean_text(text, "info")
        verified = await self._verify_code(ref, code, now)
        async with self.db.sessions() as session, session.begin():
            case = await session.get(ReportCase, verified)
            if case is None:
                raise FollowUpRefused()
            if case.status == "closed":
                raise ReportInputError("case_closed")
            key = self.keys.unwrap(case.ref, case.wrapped_key)
            await self._add_message(session, case, key, "reporter", "info", "", body, now.date())
            await audit.append(session, now.date(), "reporter", "added_information", case.ref)
            for person in self._access(case, key)["recipients"] + self._access(case, key)["granted"]:
                self._notify(session, person, "reporter_added", f"report:{case.ref}", _later(now), now.date(),
                             municipality=case.municipality, ref=case.ref)

    # ---- the recipients -----------------------------------------------------------------------
    def _access(self, case: ReportCase, key: bytes) -> dict:
        return json.loads(open_sealed(key, case.ref, "access", case.access))

    def _allowed(self, case: ReportCase, key: bytes, aad_id: str) -> dict | None:
        access = self._access(case, key)
        return next((p for p in access["recipients"] + access["granted"] if aad_id and p["aad_id"] == aad_id), None)

    async def _case_for(self, session: AsyncSession, aad_id: str, ref: str | None) -> tuple[ReportCase, bytes, dict]:
        case = await session.get(ReportCase, ref) if ref else None
        if case is None:
            raise ReportNotFound()
        key = self.keys.unwrap(case.ref, case.wrapped_key)
        person = self._allowed(case, key, (aad_id or "").lower())
        if person is None:
            raise ReportNotFound()
        return case, key, person

    async def list_cases(self, aad_id: str, now: datetime) -> list[Summary]:
        async with self.db.sessions() as session, session.begin():
            cases = (await session.execute(select(ReportCase).order_by(ReportCase.created_on.desc()))).scalars().all()
            out = []
            for case in cases:
                key = self.keys.unwrap(case.ref, case.wrapped_key)
                if self._allowed(case, key, (aad_id or "").lower()):
                    out.append(_summary(case))
            if out:
                await audit.append(session, now.date(), aad_id.lower(), "listed", None, f"count={len(out)}")
            return out

    async def open_case(self, aad_id: str, ref: str | None, now: datetime) -> CaseView:
        async with self.db.sessions() as session, session.begin():
            case, key, _ = await self._case_for(session, aad_id, ref)
            content = json.loads(open_sealed(key, case.ref, "content", case.content))
            identity_row = await session.get(ReportIdentity, case.ref)
            reporter = json.loads(open_sealed(key, case.ref, "identity", identity_row.identity)) if identity_row else None
            access = self._access(case, key)
            await audit.append(session, now.date(), aad_id.lower(), "opened", case.ref)
            return CaseView(_summary(case), content["what"], content["when"], content["where"],
                            content["wants_conversation"], access["recipients"] + access["granted"],
                            content.get("excluded"), reporter, await self._messages(session, case, key))

    async def acknowledge(self, aad_id: str, ref: str | None, now: datetime) -> Summary:
        return await self.set_status(aad_id, ref, "acknowledged", "", now)

    async def reply(self, aad_id: str, ref: str | None, text: str, now: datetime) -> None:
        body = clean_text(text, "reply")
        async with self.db.sessions() as session, session.begin():
            case, key, person = await self._case_for(session, aad_id, ref)
            if case.status == "closed":
                raise ReportInputError("case_closed")
            await self._add_message(session, case, key, "recipient", "reply", _label(person), body, now.date())
            await audit.append(session, now.date(), aad_id.lower(), "replied", case.ref)

    async def set_status(self, aad_id: str, ref: str | None, status: str, reason: str, now: datetime) -> Summary:
        async with self.db.sessions() as session, session.begin():
            case, key, person = await self._case_for(session, aad_id, ref)
            if status not in TRANSITIONS.get(case.status, ()):
                raise ReportInputError("bad_transition", current=case.status, target=status)
            why = clean_text(reason, "reason", required=status in NEEDS_REASON)
            today, old = now.date(), case.status
            result = await session.execute(update(ReportCase).where(ReportCase.ref == case.ref, ReportCase.status == old)
                                           .values(status=status))
            if result.rowcount != 1:
                raise ReportInputError("conflict")
            case.status = status
            if why:
                await self._add_message(session, case, key, "recipient", "reason", _label(person), why, today, status)
            if status == "acknowledged":
                case.acknowledged_on = today
                await cancel(session, f"report:{case.ref}:ack")
            if status == "feedback_given":
                case.feedback_on = case.feedback_on or today
                await cancel(session, f"report:{case.ref}:feedback")
            if status == "closed":
                await self._close(session, case, key, today)
            await audit.append(session, today, aad_id.lower(), f"status:{status}", case.ref, f"from={old}")
            return _summary(case)

    async def _close(self, session: AsyncSession, case: ReportCase, key: bytes, today: date) -> None:
        policy = self.policies.get(case.municipality)
        days = policy.retention_days if policy else 365
        warn = policy.retention_warning_days if policy else 14
        case.closed_on, case.delete_on = today, today + timedelta(days=days)
        for subject in (f"report:{case.ref}", f"report:{case.ref}:ack", f"report:{case.ref}:feedback"):
            await cancel(session, subject)
        access = self._access(case, key)
        for person in access["recipients"] + access["granted"]:
            self._notify(session, person, "retention_warning", f"report:{case.ref}:retention",
                         at_morning(case.delete_on - timedelta(days=warn)), today,
                         municipality=case.municipality, ref=case.ref, delete_on=case.delete_on.isoformat())
        task = enqueue(session, RETENTION_KIND, {"ref": case.ref}, subject=f"report:{case.ref}:retention",
                       run_at=at_morning(case.delete_on), idempotency_key=f"report:{case.ref}:delete:{secrets.token_hex(6)}")
        task.created_at = datetime.combine(today, time(0, tzinfo=UTC))

    async def grant(self, aad_id: str, ref: str | None, new_aad_id: str, now: datetime) -> dict:
        """Give a recipient added to the policy after submission access to this report (audited)."""
        async with self.db.sessions() as session, session.begin():
            case, key, _ = await self._case_for(session, aad_id, ref)
            policy = self.policies.get(case.municipality)
            newcomer = policy.recipient((new_aad_id or "").lower()) if policy else None
            content = json.loads(open_sealed(key, case.ref, "content", case.content))
            excluded = (content.get("excluded") or {}).get("aad_id")
            access = self._access(case, key)
            if newcomer is None or newcomer.aad_id == excluded:
                raise ReportInputError("grant_refused")
            if self._allowed(case, key, newcomer.aad_id):
                return _person(newcomer)
            access["granted"].append(_person(newcomer))
            case.access = seal(key, case.ref, "access", _dump(access))
            await audit.append(session, now.date(), aad_id.lower(), "granted", case.ref, f"to={newcomer.aad_id}")
            self._notify(session, _person(newcomer), "access_granted", f"report:{case.ref}", now, now.date(),
                         municipality=case.municipality, ref=case.ref)
            self._schedule_remaining(session, case, _person(newcomer), now)
            return _person(newcomer)

    # ---- administration -----------------------------------------------------------------------
    async def verify_audit(self, aad_id: str, now: datetime) -> audit.Verification:
        if not self.policies.is_administrator((aad_id or "").lower()):
            raise ReportNotFound()
        async with self.db.sessions() as session, session.begin():
            result = await audit.verify(session)
            await audit.append(session, now.date(), aad_id.lower(), "verified_audit", None, f"ok={result.ok}")
            return result

    async def run_retention(self, now: datetime) -> int:
        return await run_retention(self.db, now)

    async def rewrap(self, keys: MasterKeys) -> int:
        """Re-wrap every report key under ``keys.active`` (rotation); old keys can then be retired."""
        count = 0
        async with self.db.sessions() as session, session.begin():
            for case in (await session.execute(select(ReportCase))).scalars():
                if keys.key_id(case.wrapped_key) != keys.active:
                    case.wrapped_key = keys.wrap(case.ref, keys.unwrap(case.ref, case.wrapped_key))
                    count += 1
            await audit.append(session, datetime.now(UTC).date(), "system", "rewrapped", None,
                               f"active={keys.active} count={count}")
        self.keys = keys
        return count

    # ---- messages -----------------------------------------------------------------------------
    async def _add_message(self, session: AsyncSession, case: ReportCase, key: bytes, author_kind: str, kind: str,
                           author: str, text: str, day: date, status: str = "") -> None:
        seq = len((await session.execute(select(ReportMessage.id).where(ReportMessage.ref == case.ref))).all()) + 1
        mid = secrets.token_hex(16)
        body = {"kind": kind, "author": author, "text": text, "status": status}
        session.add(ReportMessage(id=mid, ref=case.ref, seq=seq, author_kind=author_kind, created_on=day,
                                  body=seal(key, case.ref, f"message:{mid}", _dump(body))))
        await session.flush()

    async def _messages(self, session: AsyncSession, case: ReportCase, key: bytes) -> list[Message]:
        rows = (await session.execute(select(ReportMessage).where(ReportMessage.ref == case.ref)
                                      .order_by(ReportMessage.seq))).scalars()
        out = []
        for row in rows:
            body = json.loads(open_sealed(key, case.ref, f"message:{row.id}", row.body))
            out.append(Message(row.author_kind, body["kind"], body["author"], row.created_on, body["text"],
                               body.get("status", "")))
        return out

    async def audit_entries(self, ref: str) -> list[ReportAudit]:
        async with self.db.sessions() as session:
            return list((await session.execute(select(ReportAudit).where(ReportAudit.ref == ref)
                                               .order_by(ReportAudit.seq))).scalars())


async def run_retention(db: Database, now: datetime) -> int:
    """Delete closed cases past their retention day: rows, messages, identity and the wrapped key.

    Needs no master key, so a worker process without one can run it; the audit stub stays."""
    today = now.date()
    async with db.sessions() as session, session.begin():
        due = (await session.execute(select(ReportCase.ref).where(
            ReportCase.status == "closed", ReportCase.delete_on <= today))).scalars().all()
        for ref in due:
            await session.execute(delete(ReportMessage).where(ReportMessage.ref == ref))
            await session.execute(delete(ReportIdentity).where(ReportIdentity.ref == ref))
            await session.execute(delete(ReportCase).where(ReportCase.ref == ref))
            await cancel(session, f"report:{ref}:retention")
            await audit.append(session, today, "system", "deleted", ref, "retention")
    if due:
        await _scrub(db)
    return len(due)


async def _scrub(db: Database) -> None:
    """Leave no remnant of deleted rows in the data files: SQLite zeroes them (secure_delete) and its
    WAL is truncated; PostgreSQL's VACUUM prunes the dead tuples. Old WAL segments and backups keep
    the ciphertext until recycled; rotating the master key makes those remnants unreadable."""
    async with db.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        if db.is_sqlite:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            await conn.execute(text("VACUUM report_cases, report_messages, report_identities"))


def _person(recipient) -> dict:  # type: ignore[no-untyped-def]
    return {"aad_id": recipient.aad_id, "name": recipient.name, "role": recipient.role, "email": recipient.email}


def _label(person: dict) -> str:
    return f"{person['name']} ({person['role']})"


def _dump(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def _later(now: datetime) -> datetime:
    """5-30 minutes on: a notice caused by the reporter must not pinpoint when the reporter wrote."""
    return now + timedelta(minutes=5 + secrets.randbelow(26))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def _summary(case: ReportCase) -> Summary:
    return Summary(case.ref, case.municipality, case.status, case.created_on,
                   case.created_on + timedelta(days=ACK_DAYS), add_months(case.created_on, FEEDBACK_MONTHS),
                   case.anonymous)
