"""Passenger councils from knowledge/councils/*.yaml: meetings, follow-up group, roles, deadline offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from services import yamlfast

ROLES = ("secretariat", "chairperson", "member")  # everybody else is the public
DEADLINES = ("submission", "comments_open", "comments_close", "publication", "minutes", "feedback")
DEFAULT_OFFSETS = {  # days relative to the meeting date: negative before, positive after
    "submission": -28, "comments_open": -21, "comments_close": -14, "publication": -7,
    "minutes": 14, "feedback": 42,
}
_AAD = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")


class CouncilConfigError(ValueError):
    """A council file is broken; the message names the file and the field."""


@dataclass(frozen=True)
class Member:
    aad_id: str
    name: str
    party: str
    role: str  # secretariat | chairperson | member
    email: str = ""
    lang: str = "da"


@dataclass(frozen=True)
class Meeting:
    key: str  # stable, used in public URLs and the iCalendar UID
    starts: datetime  # naive local wall-clock time in the council's time zone
    duration_minutes: int
    place: str
    deadlines: dict[str, date] = field(default_factory=dict)  # per-meeting overrides (local dates)


@dataclass(frozen=True)
class Council:
    id: str
    name: str
    timezone: str
    parties: tuple[str, ...]
    members: tuple[Member, ...]
    meetings: tuple[Meeting, ...]
    offsets: dict[str, int]
    feedback_reminder_days: int
    source: str = ""

    def meeting(self, key: str) -> Meeting | None:
        return next((m for m in self.meetings if m.key == key), None)

    def member(self, aad_id: str) -> Member | None:
        return next((m for m in self.members if m.aad_id.lower() == (aad_id or "").lower()), None)

    def with_members(self, members: tuple[Member, ...]) -> Council:
        return replace(self, members=members)


def _need(data: dict, key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise CouncilConfigError(f"{where}: field '{key}' must be a non-empty {kind.__name__}")
    return value


def _member(raw: Any, where: str, parties: tuple[str, ...]) -> Member:
    if not isinstance(raw, dict):
        raise CouncilConfigError(f"{where}: must be a mapping")
    aad = str(_need(raw, "aad_id", str, where))
    if not _AAD.match(aad):
        raise CouncilConfigError(f"{where}: field 'aad_id' must be an Entra ID object id (a GUID)")
    role = _need(raw, "role", str, where)
    if role not in ROLES:
        raise CouncilConfigError(f"{where}: field 'role' must be one of {', '.join(ROLES)}")
    party = _need(raw, "party", str, where)
    if party not in parties:
        raise CouncilConfigError(f"{where}: field 'party' {party!r} is not in the council's parties")
    lang = raw.get("lang", "da")
    if lang not in ("da", "en"):
        raise CouncilConfigError(f"{where}: field 'lang' must be da or en")
    return Member(aad.lower(), _need(raw, "name", str, where), party, role, str(raw.get("email", "")), lang)


def _meeting(raw: Any, where: str) -> Meeting:
    if not isinstance(raw, dict):
        raise CouncilConfigError(f"{where}: must be a mapping")
    key = str(_need(raw, "key", str, where))
    if not _KEY.match(key):
        raise CouncilConfigError(f"{where}: field 'key' must be lower-case letters, digits and dashes")
    try:
        starts = datetime.fromisoformat(str(_need(raw, "starts", str, where)))
    except ValueError as exc:
        raise CouncilConfigError(f"{where}: field 'starts' must be a local time like 2027-01-20T16:00") from exc
    if starts.tzinfo is not None:
        raise CouncilConfigError(f"{where}: field 'starts' is local wall-clock time; leave out the offset")
    overrides: dict[str, date] = {}
    for name, value in (raw.get("deadlines") or {}).items():
        if name not in DEADLINES:
            raise CouncilConfigError(f"{where}: deadlines.{name} is unknown; use {', '.join(DEADLINES)}")
        try:
            overrides[name] = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError as exc:
            raise CouncilConfigError(f"{where}: field 'deadlines.{name}' must be a date YYYY-MM-DD") from exc
    minutes = raw.get("duration_minutes", 120)
    if not isinstance(minutes, int) or not 15 <= minutes <= 600:
        raise CouncilConfigError(f"{where}: field 'duration_minutes' must be 15..600")
    return Meeting(key, starts, minutes, _need(raw, "place", str, where), overrides)


def load_council(path: Path) -> Council:
    try:
        data = yamlfast.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CouncilConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    where = str(path)
    if not isinstance(data, dict):
        raise CouncilConfigError(f"{where}: expected a mapping")
    cid = str(_need(data, "id", str, where))
    if not _KEY.match(cid):
        raise CouncilConfigError(f"{where}: field 'id' must be lower-case letters, digits and dashes")
    tz = _need(data, "timezone", str, where)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(tz)
    except Exception as exc:
        raise CouncilConfigError(f"{where}: field 'timezone' {tz!r} is not a known time zone") from exc
    parties = tuple(str(p) for p in _need(data, "parties", list, where))
    offsets = dict(DEFAULT_OFFSETS)
    for name, value in (data.get("deadline_offsets_days") or {}).items():
        if name not in DEFAULT_OFFSETS or not isinstance(value, int):
            raise CouncilConfigError(f"{where}: field 'deadline_offsets_days.{name}' must be a known deadline "
                                     "with a whole number of days")
        offsets[name] = value
    if not offsets["submission"] <= offsets["comments_open"] < offsets["comments_close"] <= offsets["publication"] < 0:
        raise CouncilConfigError(f"{where}: field 'deadline_offsets_days' must run submission <= comments_open "
                                 "< comments_close <= publication < meeting")
    members = tuple(_member(m, f"{where}: members[{i}]", parties)
                    for i, m in enumerate(_need(data, "members", list, where)))
    if len({m.aad_id for m in members}) != len(members):
        raise CouncilConfigError(f"{where}: field 'members' lists an aad_id twice")
    if not any(m.role == "secretariat" for m in members):
        raise CouncilConfigError(f"{where}: field 'members' needs at least one secretariat member")
    meetings = tuple(sorted((_meeting(m, f"{where}: meetings[{i}]") for i, m in enumerate(_need(data, "meetings", list, where))),
                            key=lambda m: m.starts))
    if len({m.key for m in meetings}) != len(meetings):
        raise CouncilConfigError(f"{where}: field 'meetings' uses a key twice")
    reminder = data.get("feedback_reminder_days", 7)
    if not isinstance(reminder, int) or reminder < 0:
        raise CouncilConfigError(f"{where}: field 'feedback_reminder_days' must be a whole number >= 0")
    return Council(cid, _need(data, "name", str, where), tz, parties, members, meetings, offsets, reminder,
                   str(data.get("source", "")))


def load_councils(folder: Path) -> dict[str, Council]:
    """Every council file in ``folder``; a broken file stops start-up with a message naming file and field."""
    councils: dict[str, Council] = {}
    for path in sorted(folder.glob("*.yaml")):
        council = load_council(path)
        if council.id in councils:
            raise CouncilConfigError(f"{path}: field 'id' {council.id!r} is used by another council file")
        councils[council.id] = council
    return councils
