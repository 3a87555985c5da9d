"""Meeting deadlines as local calendar days in the council's time zone (zoneinfo), turned into UTC instants.

A deadline is a date: "submissions by 11 March" means until the end of 11 March in Copenhagen, whatever
the UTC offset is that day. Window openings start at 00:00 local time. Days are counted on the calendar,
never as multiples of 24 hours, so a daylight-saving change inside a window moves nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.agenda.config import DEADLINES, Council, Meeting

OPENINGS = {"comments_open"}  # the others close at the end of their day


@dataclass(frozen=True)
class Deadlines:
    """The effective deadline dates of one meeting and their UTC instants."""

    tz: str
    dates: dict[str, date]
    meeting_start: datetime  # aware, UTC

    def instant(self, name: str) -> datetime:
        """The UTC moment the deadline takes effect: 00:00 local for openings, else the next day's 00:00."""
        day = self.dates[name]
        if name not in OPENINGS:
            day = day + timedelta(days=1)
        return datetime.combine(day, time(0), tzinfo=ZoneInfo(self.tz)).astimezone(UTC)

    def reminder(self, name: str, days_before: int, hour: int = 9) -> datetime:
        """09:00 local time ``days_before`` calendar days before the deadline's day, in UTC."""
        day = self.dates[name] - timedelta(days=days_before)
        return datetime.combine(day, time(hour), tzinfo=ZoneInfo(self.tz)).astimezone(UTC)

    def is_late(self, now: datetime) -> bool:
        return now >= self.instant("submission")

    def comments_open(self, now: datetime) -> bool:
        return self.instant("comments_open") <= now < self.instant("comments_close")


def meeting_start_utc(council: Council, meeting: Meeting) -> datetime:
    return meeting.starts.replace(tzinfo=ZoneInfo(council.timezone)).astimezone(UTC)


def compute(council: Council, meeting: Meeting, overrides: dict[str, date] | None = None) -> Deadlines:
    """Council default offsets, then the meeting's YAML overrides, then overrides set through the bot."""
    day = meeting.starts.date()
    dates = {name: day + timedelta(days=council.offsets[name]) for name in DEADLINES}
    dates.update(meeting.deadlines)
    dates.update(overrides or {})
    return Deadlines(council.timezone, dates, meeting_start_utc(council, meeting))


def check_order(dates: dict[str, date], meeting_day: date) -> str | None:
    """The name of the first deadline out of order, or None when they make sense together."""
    order = ("submission", "comments_open", "comments_close", "publication")
    if dates["submission"] > dates["comments_open"]:
        return "submission"
    if dates["comments_open"] > dates["comments_close"]:
        return "comments_open"
    if dates["comments_close"] > dates["publication"]:
        return "comments_close"
    if dates["publication"] >= meeting_day:
        return "publication"
    for name in ("minutes", "feedback"):
        if dates[name] < meeting_day:
            return name
    return None if all(n in dates for n in order) else "submission"
