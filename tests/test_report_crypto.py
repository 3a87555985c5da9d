"""Report encryption: tampering, a swapped report key and a wrong master key fail; rotation re-wraps."""
from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from services.reports import (
    ArgonParams,
    CodeHasher,
    Draft,
    MasterKeys,
    ReportCryptoError,
    ReportService,
    load_policies,
)
from services.reports.crypto import new_data_key, new_master_key, open_sealed, seal
from services.reports.draft import DraftVault
from services.reports.models import ReportCase, ReportMessage
from services.reports.policy import PolicyError, parse_policy
from tests import report_db
from tests.conftest import ROOT

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
POLICIES = load_policies(ROOT / "knowledge" / "policies")
MAYOR = POLICIES.get("Hjørring").recipients[0].aad_id



@pytest.fixture(params=report_db.PARAMS)
async def db(request, tmp_path):
    """SQLite and PostgreSQL, like conftest's ``db``, but PostgreSQL is migrated once per session."""
    async with report_db.database(request.param, tmp_path) as database:
        yield database

def service(db, keys: MasterKeys) -> ReportService:
    return ReportService(db, POLICIES, keys, CodeHasher(ArgonParams.for_tests()))


def report(what: str = "Det skete i pausen") -> Draft:
    return Draft(municipality="Hjørring", anonymous=True, what=what, where="council")


def test_seal_is_bound_to_report_and_purpose():
    key = new_data_key()
    blob = seal(key, "R-AAAA-AAAA", "content", b"hemmeligt")
    assert b"hemmeligt" not in blob
    assert open_sealed(key, "R-AAAA-AAAA", "content", blob) == b"hemmeligt"
    for ref, purpose in (("R-BBBB-BBBB", "content"), ("R-AAAA-AAAA", "identity")):
        with pytest.raises(ReportCryptoError):
            open_sealed(key, ref, purpose, blob)
    tampered = bytearray(blob)
    tampered[-1] ^= 1
    with pytest.raises(ReportCryptoError) as err:
        open_sealed(key, "R-AAAA-AAAA", "content", bytes(tampered))
    assert "hemmeligt" not in str(err.value)


def test_master_key_configuration_is_validated(tmp_path: Path):
    good = new_master_key()
    keys = MasterKeys.parse(f"new:{good}, old:{new_master_key()}")
    assert keys.active == "new" and set(keys.keys) == {"new", "old"}
    for spec, fragment in (("", "no master key"), ("k1", "key-id:base64"), (f"k1:{good},k1:{good}", "twice"),
                           ("k1:" + base64.b64encode(b"short").decode(), "32 bytes"), ("k1:***", "base64")):
        with pytest.raises(ValueError, match=fragment) as err:
            MasterKeys.parse(spec)
        assert good not in str(err.value)  # a key never appears in an error
    key_file = tmp_path / "keys"
    key_file.write_text(f"# rotated 2026-03\nk2:{good}\n")
    assert MasterKeys.from_settings("", str(key_file)).active == "k2"
    dev = MasterKeys.from_settings("", "", dev_file=tmp_path / "dev.key")
    assert (tmp_path / "dev.key").stat().st_mode & 0o077 == 0  # only the owner can read it
    assert MasterKeys.from_settings("", "", dev_file=tmp_path / "dev.key").keys == dev.keys
    with pytest.raises(ValueError):
        MasterKeys.from_settings("", "")


async def test_tampered_ciphertext_swapped_key_and_wrong_master_key_fail(db):
    keys = MasterKeys.parse("k1:" + new_master_key())
    svc = service(db, keys)
    a = await svc.submit(report("Rapport A"), None, NOW)
    b = await svc.submit(report("Rapport B"), None, NOW)
    await svc.reply(MAYOR, a.ref, "Svar til A", NOW)
    assert (await svc.open_case(MAYOR, a.ref, NOW)).what == "Rapport A"

    async with db.sessions() as s:
        row_a, row_b = await s.get(ReportCase, a.ref), await s.get(ReportCase, b.ref)
        content_a, key_a, key_b = bytes(row_a.content), bytes(row_a.wrapped_key), bytes(row_b.wrapped_key)

    async def set_a(**values) -> None:
        async with db.sessions() as s, s.begin():
            await s.execute(update(ReportCase).where(ReportCase.ref == a.ref).values(**values))

    flipped = bytearray(content_a)
    flipped[20] ^= 0x40
    await set_a(content=bytes(flipped))  # one bit of the ciphertext changed
    with pytest.raises(ReportCryptoError):
        await svc.open_case(MAYOR, a.ref, NOW)
    await set_a(content=content_a, wrapped_key=key_b)  # B's wrapped key put on A
    with pytest.raises(ReportCryptoError):
        await svc.open_case(MAYOR, a.ref, NOW)
    await set_a(wrapped_key=key_a)
    async with db.sessions() as s, s.begin():  # B's content moved into A with A's key: bound to B's ref
        await s.execute(update(ReportCase).where(ReportCase.ref == a.ref).values(content=bytes(row_b.content)))
    with pytest.raises(ReportCryptoError):
        await svc.open_case(MAYOR, a.ref, NOW)
    await set_a(content=content_a)
    async with db.sessions() as s, s.begin():  # a tampered message
        message = (await s.execute(select(ReportMessage).where(ReportMessage.ref == a.ref))).scalar_one()
        message.body = bytes(message.body[:-1]) + bytes([message.body[-1] ^ 1])
    with pytest.raises(ReportCryptoError):
        await svc.open_case(MAYOR, a.ref, NOW)

    wrong = service(db, MasterKeys.parse("k1:" + new_master_key()))  # same key id, other key
    with pytest.raises(ReportCryptoError):
        await wrong.open_case(MAYOR, b.ref, NOW)
    unknown_id = service(db, MasterKeys.parse("k9:" + new_master_key()))
    with pytest.raises(ReportCryptoError):
        await unknown_id.open_case(MAYOR, b.ref, NOW)
    assert (await svc.open_case(MAYOR, b.ref, NOW)).what == "Rapport B"


async def test_master_key_rotation_rewraps_every_report(db):
    old = MasterKeys.parse("old:" + new_master_key())
    svc = service(db, old)
    receipts = [await svc.submit(report(f"Rapport {i}"), None, NOW) for i in range(3)]
    rotated = MasterKeys({"new": base64.b64decode(new_master_key()), **old.keys}, "new")
    assert await svc.rewrap(rotated) == 3
    assert await svc.rewrap(rotated) == 0  # idempotent
    only_new = MasterKeys({"new": rotated.keys["new"]}, "new")  # the old key retired
    fresh = service(db, only_new)
    assert [(await fresh.open_case(MAYOR, r.ref, NOW)).what for r in receipts] == [f"Rapport {i}" for i in range(3)]
    assert (await fresh.follow_up(receipts[0].ref, receipts[0].code, NOW)).ref == receipts[0].ref
    with pytest.raises(ReportCryptoError):
        await service(db, old).open_case(MAYOR, receipts[0].ref, NOW)


def test_draft_vault_seals_drafts_and_forgets_them():
    clock = [1_000_000.0]
    keys = MasterKeys.parse("k1:" + new_master_key())
    vault = DraftVault(ttl_seconds=60, clock=lambda: clock[0], keys=keys)
    box = vault.seal({"what": "udkast"})
    assert "udkast" not in str(box) and vault.open(box) == {"what": "udkast"}
    box2 = vault.seal({"what": "udkast 2"}, box["id"], box)
    assert box2["id"] == box["id"] and vault.open(box2)["what"] == "udkast 2"
    assert vault.open({**box2, "box": box2["box"][:-4] + "AAAA"}) is None  # altered
    assert vault.open({**box2, "t": str(int(box2["t"]) + 30)}) is None  # its time is bound into the ciphertext
    # another bot process with the same master key continues the dialogue; without it, nobody can
    other = DraftVault(ttl_seconds=60, clock=lambda: clock[0], keys=keys)
    assert other.open(box2)["what"] == "udkast 2"
    stranger = DraftVault(ttl_seconds=60, clock=lambda: clock[0], keys=MasterKeys.parse("k1:" + new_master_key()))
    assert stranger.open(box2) is None and DraftVault(clock=lambda: clock[0]).open(box2) is None
    vault.discard(box2)
    assert len(vault) == 0
    clock[0] += 61  # expired everywhere, even with the master key
    assert vault.open(box2) is None and other.open(box2) is None


def test_sample_policies_load_and_broken_ones_name_file_and_field(tmp_path: Path):
    assert len(POLICIES.by_municipality) == 11
    for policy in POLICIES.by_municipality.values():
        roles = {r.role for r in policy.recipients}
        assert {"borgmester", "kommunaldirektør"} <= roles
        assert all(r.aad_id.startswith("00000000-0000-0000-") for r in policy.recipients)  # clearly fake
        assert "112" in policy.police["da"] and "114" in policy.police["en"]
    import yaml

    base = yaml.safe_load((ROOT / "knowledge" / "policies" / "hjorring.yaml").read_text(encoding="utf-8"))
    cases = [({"recipients": []}, "recipients"), ({"municipality": "Gotham"}, "municipality"),
             ({"retention_days": 5}, "retention_days"), ({"anonymous_allowed": "ja"}, "anonymous_allowed"),
             ({"recipients": [{"role": "konge", "name": "X", "aad_id": "00000000-0000-0000-0000-000000000001"}]}, "role"),
             ({"recipients": [{"role": "hr", "name": "X", "aad_id": "not-a-guid"}]}, "aad_id")]
    for change, field in cases:
        with pytest.raises(PolicyError, match=field) as err:
            parse_policy({**base, **change}, "hjorring.yaml")
        assert "hjorring.yaml" in str(err.value)
    broken = tmp_path / "policies"
    broken.mkdir()
    (broken / "x.yaml").write_text("municipality: Hjørring\nversion: [", encoding="utf-8")
    with pytest.raises(PolicyError, match="x.yaml"):
        load_policies(broken)


def test_rotation_command_rewraps_with_the_new_key_first(tmp_path: Path, monkeypatch, capsys):
    import asyncio

    from services.db import Database
    from services.reports.__main__ import main

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    old, new = new_master_key(), new_master_key()

    async def seed() -> str:
        db = Database(url)
        await db.migrate()
        receipt = await service(db, MasterKeys.parse(f"old:{old}")).submit(report("Rotér mig"), None, NOW)
        await db.dispose()
        return receipt.ref

    async def read() -> str:
        db = Database(url)
        view = await service(db, MasterKeys.parse(f"new:{new}")).open_case(MAYOR, ref, NOW)
        await db.dispose()
        return view.what

    ref = asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REPORT_MASTER_KEYS", f"new:{new},old:{old}")
    assert main(["rotate"]) == 0
    monkeypatch.setenv("REPORT_MASTER_KEYS", f"new:{new}")  # the old key retired
    assert main(["verify-audit"]) == 0
    assert asyncio.run(read()) == "Rotér mig"
    monkeypatch.setenv("REPORT_MASTER_KEYS", "new:tooshort")
    assert main(["rotate"]) == 2
    out = capsys.readouterr()
    assert "re-wrapped 1 report keys under 'new'" in out.out and "intact (2 entries)" in out.out
    assert "REPORT_MASTER_KEYS" in out.err and old not in out.out + out.err and new not in out.out + out.err
