"""Confidential reports on SQLite and PostgreSQL: access matrix, code lockout, deadlines, retention, audit."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from services.reports import (
    ArgonParams,
    CodeHasher,
    Draft,
    FollowUpRefused,
    MasterKeys,
    Reporter,
    ReportInputError,
    ReportNotFound,
    ReportService,
    audit,
    load_policies,
)
from services.reports.crypto import new_master_key
from services.reports.models import ReportCase, ReportIdentity, ReportMessage
from services.reports.policy import Policies, Recipient
from services.reports.service import MAX_FAILED, RETENTION_KIND
from services.tasks import Task
from tests import report_db
from tests.conftest import ROOT

NOW = datetime(2026, 3, 2, 10, 17, 33, tzinfo=UTC)  # a frozen clock: every call gets it passed in
POLICIES = load_policies(ROOT / "knowledge" / "policies")
HJ = POLICIES.get("Hjørring")
MAYOR, DIRECTOR, GROUP_CHAIR = (r.aad_id for r in HJ.recipients)
OTHER = POLICIES.get("Aalborg").recipients[0].aad_id  # a recipient of another municipality
ADMIN = HJ.administrators[0]
STRANGER = "11111111-2222-3333-4444-555555555555"
NEWCOMER = "00000000-0000-0000-0860-000000000004"  # added to Hjørring's policy after the reports were made
POLICIES_V2 = Policies({**POLICIES.by_municipality, "Hjørring": replace(
    HJ, version=2, recipients=(*HJ.recipients, Recipient(NEWCOMER, "Ny HR-chef (eksempel)", "hr")))})



@pytest.fixture(params=report_db.PARAMS)
async def db(request, tmp_path):
    """SQLite and PostgreSQL, like conftest's ``db``, but PostgreSQL is migrated once per session."""
    async with report_db.database(request.param, tmp_path) as database:
        yield database

def make_service(db, keys: MasterKeys | None = None, **hasher) -> ReportService:
    return ReportService(db, POLICIES, keys or MasterKeys.parse("k1:" + new_master_key()),
                         CodeHasher(ArgonParams.for_tests(), **hasher))


def draft(**overrides) -> Draft:
    base = dict(municipality="Hjørring", anonymous=True, what="Bemærkninger om mit udseende på udvalgsmødet",
                when="i tirsdags", where="committee", exclude=GROUP_CHAIR, wants_conversation=True)
    return Draft(**{**base, **overrides})


async def tasks(db, subject_prefix: str) -> list[Task]:
    async with db.sessions() as s:
        rows = await s.execute(select(Task).where(Task.subject.like(subject_prefix + "%")).order_by(Task.run_at, Task.id))
        return list(rows.scalars())


# ---- the access matrix ------------------------------------------------------------------------------
ROLES = {"recipient": MAYOR, "other_municipality": OTHER, "excluded": GROUP_CHAIR, "administrator": ADMIN,
         "stranger": STRANGER, "reporter": None}
RECIPIENT_ACTIONS = ("list", "open", "acknowledge", "reply", "status", "grant")


async def _try(svc: ReportService, role: str, action: str, ref: str, code: str) -> bool:
    who = ROLES[role] or ""
    try:
        if action == "list":
            return any(s.ref == ref for s in await svc.list_cases(who, NOW))
        if action == "open":
            await svc.open_case(who, ref, NOW)
        elif action == "acknowledge":
            await svc.acknowledge(who, ref, NOW)
        elif action == "reply":
            await svc.reply(who, ref, "svar", NOW)
        elif action == "status":
            await svc.set_status(who, ref, "closed", "afsluttet", NOW)
        elif action == "grant":
            svc.policies = POLICIES_V2
            try:
                await svc.grant(who, ref, NEWCOMER, NOW)
            finally:
                svc.policies = POLICIES
        elif action == "follow_up":
            await svc.follow_up(ref, code if role == "reporter" else "0" * 20, NOW)
        elif action == "add_information":
            await svc.add_information(ref, code if role == "reporter" else "0" * 20, "mere", NOW)
        elif action == "verify_audit":
            await svc.verify_audit(who, NOW)
        return True
    except (ReportNotFound, FollowUpRefused):
        return False


EXPECTED = {  # role -> the actions it may take; everything else is refused with the not-found answer
    "recipient": {"list", "open", "acknowledge", "reply", "status", "grant"},
    "reporter": {"follow_up", "add_information"},
    "administrator": {"verify_audit"},
    "other_municipality": set(), "excluded": set(), "stranger": set(),
}


async def test_access_matrix(db):
    """Every role x every action, each on a fresh report: allowed exactly where EXPECTED says."""
    svc = make_service(db, per_minute=10_000)
    actions = (*RECIPIENT_ACTIONS, "follow_up", "add_information", "verify_audit")
    seen = {}
    for role in ROLES:
        for action in actions:
            receipt = await svc.submit(draft(), None, NOW)
            seen[(role, action)] = await _try(svc, role, action, receipt.ref, receipt.code)
    assert seen == {(r, a): a in EXPECTED[r] for r in ROLES for a in actions}


async def test_not_allowed_and_not_found_are_the_same_answer(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    for who, ref in ((OTHER, receipt.ref), (GROUP_CHAIR, receipt.ref), (MAYOR, "R-0000-0000"), (MAYOR, None)):
        with pytest.raises(ReportNotFound) as err:
            await svc.open_case(who, ref, NOW)
        assert str(err.value) == "" and err.value.args == ()


async def test_grant_is_audited_and_never_reaches_the_excluded(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(exclude=GROUP_CHAIR), None, NOW)
    svc.policies = POLICIES_V2  # the council adds a recipient after the report was made
    with pytest.raises(ReportNotFound):
        await svc.open_case(NEWCOMER, receipt.ref, NOW)  # the report keeps the set it was submitted to
    for target in (STRANGER, GROUP_CHAIR):  # not in the policy / left out by the reporter
        with pytest.raises(ReportInputError):
            await svc.grant(MAYOR, receipt.ref, target, NOW)
    with pytest.raises(ReportNotFound):
        await svc.open_case(GROUP_CHAIR, receipt.ref, NOW)
    await svc.grant(MAYOR, receipt.ref, NEWCOMER, NOW)
    assert (await svc.open_case(NEWCOMER, receipt.ref, NOW)).what.startswith("Bemærkninger")
    actions = [(e.actor, e.action, e.detail) for e in await svc.audit_entries(receipt.ref)]
    assert (MAYOR, "granted", f"to={NEWCOMER}") in actions
    granted = [json.loads(t.payload) for t in await tasks(db, f"report:{receipt.ref}")]
    mine = {n["template"][1] for n in granted if n["recipient"]["aad_id"] == NEWCOMER}
    assert mine == {"access_granted", "ack_reminder", "ack_overdue", "feedback_reminder", "feedback_overdue"}


async def test_policy_rules_are_enforced(db):
    svc = make_service(db)
    with pytest.raises(ReportInputError) as err:
        await svc.submit(draft(municipality="Læsø"), None, NOW)  # the sample Læsø policy: named only
    assert err.value.key == "anonymous_not_allowed"
    with pytest.raises(ReportInputError):
        await svc.submit(draft(exclude=OTHER), None, NOW)  # not a recipient of Hjørring
    alone = replace(HJ, recipients=HJ.recipients[:1])
    svc.policies = Policies({"Hjørring": alone})
    with pytest.raises(ReportInputError):  # leaving out the only recipient would leave nobody
        await svc.submit(draft(exclude=MAYOR), None, NOW)
    svc.policies = POLICIES
    with pytest.raises(ReportInputError) as err:
        await svc.submit(draft(what="x" * 4001), None, NOW)
    assert err.value.key == "too_long"


async def test_named_report_keeps_identity_encrypted_and_apart(db):
    svc = make_service(db)
    me = Reporter("aad-" + "7" * 10, "Navn Navnesen", "29:user-77")
    receipt = await svc.submit(draft(anonymous=False), me, NOW)
    view = await svc.open_case(MAYOR, receipt.ref, NOW)
    assert view.reporter["name"] == "Navn Navnesen"
    async with db.sessions() as s:
        row = await s.get(ReportIdentity, receipt.ref)
        assert b"Navnesen" not in row.identity and b"aad-777" not in row.identity


# ---- the follow-up code ------------------------------------------------------------------------------
async def test_follow_up_code_lockout_refuses_the_right_code_while_locked(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    assert len(receipt.code.replace("-", "")) * 5 >= 80
    async with db.sessions() as s:
        stored = (await s.get(ReportCase, receipt.ref)).code_hash
    assert stored.startswith("$argon2id$") and receipt.code.replace("-", "") not in stored

    view = await svc.follow_up(receipt.ref, receipt.code.lower(), NOW)  # case and dashes do not matter
    assert view.status == "received"
    for _ in range(MAX_FAILED):
        with pytest.raises(FollowUpRefused):
            await svc.follow_up(receipt.ref, "A" * 20, NOW)
    with pytest.raises(FollowUpRefused) as locked:
        await svc.follow_up(receipt.ref, receipt.code, NOW + timedelta(minutes=30))
    with pytest.raises(FollowUpRefused) as unknown:
        await svc.follow_up("R-0000-0000", receipt.code, NOW)
    with pytest.raises(FollowUpRefused) as wrong:
        await svc.follow_up(receipt.ref, "B" * 20, NOW + timedelta(hours=3))
    assert type(locked.value) is type(unknown.value) is type(wrong.value) and locked.value.args == unknown.value.args
    with pytest.raises(FollowUpRefused):
        await svc.add_information(receipt.ref, receipt.code, "x", NOW + timedelta(minutes=59))
    # after the lock (whole hours, so the stored time reveals little) the right code works again
    assert (await svc.follow_up(receipt.ref, receipt.code, NOW + timedelta(hours=2))).ref == receipt.ref
    async with db.sessions() as s:
        case = await s.get(ReportCase, receipt.ref)
        assert case.failed_attempts == 0 or case.failed_attempts == 1
        locked_until = case.locked_until
    assert (locked_until.minute, locked_until.second) == (0, 0)
    entries = [e.action for e in await svc.audit_entries(receipt.ref)]
    assert "followup_locked" in entries


async def test_global_hash_budget_refuses_without_hashing(db):
    fake_time = [0.0]
    svc = make_service(db, per_minute=3, clock=lambda: fake_time[0])
    receipt = await svc.submit(draft(), None, NOW)
    before = svc.hasher.hash_count
    for _ in range(3):
        with pytest.raises(FollowUpRefused):
            await svc.follow_up("R-0000-0000", "C" * 20, NOW)  # unknown references cost hash work too
    assert svc.hasher.hash_count == before + 3
    with pytest.raises(FollowUpRefused):  # budget spent: refused, even the right code, without hashing
        await svc.follow_up(receipt.ref, receipt.code, NOW)
    assert svc.hasher.hash_count == before + 3 and svc.hasher.refused_by_budget == 1
    fake_time[0] += 60  # the bucket refills
    assert (await svc.follow_up(receipt.ref, receipt.code, NOW)).ref == receipt.ref


async def test_reporter_reads_replies_and_adds_information(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    await svc.acknowledge(MAYOR, receipt.ref, NOW)
    await svc.reply(MAYOR, receipt.ref, "Tak for din henvendelse. Vi tager den alvorligt.", NOW)
    await svc.add_information(receipt.ref, receipt.code, "Det skete også ved mødet før.", NOW)
    view = await svc.follow_up(receipt.ref, receipt.code, NOW)
    assert view.status == "acknowledged"
    assert [m.text for m in view.messages] == ["Tak for din henvendelse. Vi tager den alvorligt.",
                                               "Det skete også ved mødet før."]
    async with db.sessions() as s:
        bodies = [m.body for m in (await s.execute(select(ReportMessage))).scalars()]
    assert bodies and all(b"alvorligt" not in b and "mødet".encode() not in b for b in bodies)
    notices = [json.loads(t.payload) for t in await tasks(db, f"report:{receipt.ref}")]
    added = [n for n in notices if n["template"] == ["ReportNotices", "reporter_added"]]
    assert {n["recipient"]["aad_id"] for n in added} == {MAYOR, DIRECTOR}
    assert all("mødet" not in json.dumps(n, ensure_ascii=False) for n in notices)


# ---- deadlines, reminders and retention on a frozen clock -------------------------------------------
async def test_deadlines_and_reminders_are_scheduled_and_cancelled(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    assert receipt.ack_due == date(2026, 3, 9) and receipt.feedback_due == date(2026, 6, 2)
    plan = [(json.loads(t.payload)["template"][1], t.run_at.replace(tzinfo=None), json.loads(t.payload)["recipient"]["aad_id"])
            for t in await tasks(db, f"report:{receipt.ref}")]
    mayor = [(k, at) for k, at, who in plan if who == MAYOR]
    received_at = next(at for k, at in mayor if k == "received")
    assert NOW.replace(tzinfo=None) + timedelta(minutes=5) <= received_at <= NOW.replace(tzinfo=None) + timedelta(minutes=30)
    assert [(k, at) for k, at in mayor if k != "received"] == [
        ("ack_reminder", datetime(2026, 3, 7, 7, 0)), ("ack_overdue", datetime(2026, 3, 10, 7, 0)),
        ("feedback_reminder", datetime(2026, 5, 19, 7, 0)), ("feedback_overdue", datetime(2026, 6, 3, 7, 0))]
    assert {who for _, _, who in plan} == {MAYOR, DIRECTOR}  # the excluded group chair gets nothing
    for t in await tasks(db, f"report:{receipt.ref}"):  # the outbox row does not pinpoint the submission
        assert t.created_at.replace(tzinfo=None) == datetime(2026, 3, 2)
        assert json.loads(t.payload)["vars"].keys() <= {"municipality", "ref", "ack_due", "feedback_due"}

    await svc.acknowledge(DIRECTOR, receipt.ref, NOW + timedelta(days=3))
    status = {(json.loads(t.payload)["template"][1], t.status) for t in await tasks(db, f"report:{receipt.ref}")}
    assert ("ack_reminder", "cancelled") in status and ("ack_overdue", "cancelled") in status
    assert ("feedback_reminder", "pending") in status
    await svc.set_status(DIRECTOR, receipt.ref, "in_progress", "", NOW + timedelta(days=4))
    await svc.set_status(DIRECTOR, receipt.ref, "feedback_given", "", NOW + timedelta(days=20))
    status = {(json.loads(t.payload)["template"][1], t.status) for t in await tasks(db, f"report:{receipt.ref}")}
    assert ("feedback_overdue", "cancelled") in status and ("feedback_overdue", "pending") not in status


async def test_police_and_closing_need_a_reason_and_closing_cancels_everything(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    await svc.acknowledge(MAYOR, receipt.ref, NOW)
    for target in ("police", "closed"):
        with pytest.raises(ReportInputError) as err:
            await svc.set_status(MAYOR, receipt.ref, target, "   ", NOW)
        assert err.value.key == "empty_field"
    await svc.set_status(MAYOR, receipt.ref, "police", "Trusler – politiet er kontaktet", NOW)
    with pytest.raises(ReportInputError):
        await svc.set_status(MAYOR, receipt.ref, "received", "", NOW)
    await svc.set_status(MAYOR, receipt.ref, "closed", "Politiet har overtaget sagen", NOW)
    pending = {json.loads(t.payload)["template"][1] if t.kind == "notify" else t.kind
               for t in await tasks(db, f"report:{receipt.ref}") if t.status == "pending"}
    assert pending == {"retention_warning", RETENTION_KIND}
    view = await svc.follow_up(receipt.ref, receipt.code, NOW)
    assert view.status == "closed" and [m.status for m in view.messages] == ["police", "closed"]


async def test_retention_deletes_closed_cases_with_a_warning_and_keeps_the_audit_stub(db):
    svc = make_service(db)
    keep = await svc.submit(draft(), None, NOW)
    gone = await svc.submit(draft(anonymous=False), Reporter("aad-x", "Navn"), NOW)
    await svc.acknowledge(MAYOR, gone.ref, NOW)
    await svc.reply(MAYOR, gone.ref, "svar", NOW)
    await svc.set_status(MAYOR, gone.ref, "closed", "Afsluttet efter samtale", NOW)
    async with db.sessions() as s:
        row = await s.get(ReportCase, gone.ref)
        remnants = (bytes(row.wrapped_key)[-16:], bytes(row.content)[-16:])
    delete_on = NOW.date() + timedelta(days=HJ.retention_days)
    warning = [t for t in await tasks(db, f"report:{gone.ref}:retention") if t.kind == "notify"]
    assert {t.run_at.replace(tzinfo=None) for t in warning} == {datetime.combine(delete_on - timedelta(days=14), datetime.min.time()).replace(hour=7)}
    assert len(warning) == 2

    assert await svc.run_retention(datetime.combine(delete_on - timedelta(days=1), datetime.min.time(), UTC)) == 0
    assert await svc.run_retention(datetime.combine(delete_on, datetime.min.time(), UTC)) == 1
    async with db.sessions() as s:
        assert await s.get(ReportCase, gone.ref) is None and await s.get(ReportIdentity, gone.ref) is None
        assert (await s.execute(select(ReportMessage).where(ReportMessage.ref == gone.ref))).first() is None
        assert await s.get(ReportCase, keep.ref) is not None
        assert (await audit.verify(s)).ok
    if db.is_sqlite:  # secure_delete + a truncated WAL: the key and ciphertext are gone from the files too
        files = await report_db.data_files(db)  # (PostgreSQL keeps dead tuples until pages are reused:
        assert files and not [r for r in remnants for blob in files if r in blob]  # rotate the master key)
    stub = [e.action for e in await svc.audit_entries(gone.ref)]
    assert stub[0] == "submitted" and stub[-1] == "deleted"
    with pytest.raises(ReportNotFound):
        await svc.open_case(MAYOR, gone.ref, NOW)
    with pytest.raises(FollowUpRefused):
        await svc.follow_up(gone.ref, gone.code, NOW)


# ---- the audit log -----------------------------------------------------------------------------------
async def test_audit_chain_is_append_only_and_breaks_when_a_row_is_edited(db):
    svc = make_service(db)
    receipt = await svc.submit(draft(), None, NOW)
    await svc.open_case(MAYOR, receipt.ref, NOW)
    await svc.acknowledge(MAYOR, receipt.ref, NOW)
    result = await svc.verify_audit(ADMIN, NOW)
    assert result.ok and result.entries == 3
    async with db.sessions() as s:
        entries = [(e.actor, e.action) for e in await svc.audit_entries(receipt.ref)]
        assert entries == [("reporter", "submitted"), (MAYOR, "opened"), (MAYOR, "status:acknowledged")]
        for row in (await s.execute(text("SELECT actor, action, detail FROM report_audit"))).all():
            assert "Bemærkninger" not in " ".join(row)  # never content
    # the database refuses edits and deletes
    for sql in ("UPDATE report_audit SET actor = 'someone' WHERE seq = 2", "DELETE FROM report_audit WHERE seq = 2"):
        with pytest.raises(Exception, match="append-only"):
            async with db.sessions() as s, s.begin():
                await s.execute(text(sql))
    # somebody with the rights to drop the protection edits a row: the chain shows where
    async with db.sessions() as s, s.begin():
        if db.is_sqlite:
            await s.execute(text("DROP TRIGGER report_audit_no_update"))
        else:
            await s.execute(text("ALTER TABLE report_audit DISABLE TRIGGER report_audit_append_only"))
        await s.execute(text("UPDATE report_audit SET actor = 'someone-else' WHERE seq = 2"))
    async with db.sessions() as s:
        broken = await audit.verify(s)
    assert not broken.ok and broken.broken_at == 2


async def test_audit_appends_do_not_fork_under_concurrency(db):
    import asyncio

    svc = make_service(db)
    receipts = await asyncio.gather(*(svc.submit(draft(), None, NOW) for _ in range(6)))
    async with db.sessions() as s:
        result = await audit.verify(s)
    assert result.ok and result.entries == 6 and len({r.ref for r in receipts}) == 6
