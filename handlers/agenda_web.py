"""Public pages for published passenger-council agendas: HTML (Jinja2), Markdown and iCalendar (RFC 5545).

Stable addresses: /passagerraad/{council}/{meeting} (+ ".md", ".ics"); the index /passagerraad/{council}.
Only published agendas exist here; closed-session items are stubs before they reach the templates."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from aiohttp import web
from icalendar import Calendar, Event
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.web import BOT, SERVICES
from services.agenda.service import PublicAgenda, public_agenda

TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)
_MD_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, trim_blocks=True, lstrip_blocks=True)
_MD_ENV.filters["md"] = lambda s: re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", str(s or ""))
CACHE = "public, max-age=60"


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "da"


def _t(request: web.Request, lang: str):  # type: ignore[no-untyped-def]
    renderer = request.app[BOT].renderer  # type: ignore[attr-defined]
    return lambda key, **v: renderer.render("AgendaWeb", key, lang, **v)


def _context(request: web.Request, agenda: PublicAgenda, lang: str) -> dict[str, Any]:
    renderer = request.app[BOT].renderer  # type: ignore[attr-defined]
    svc = request.app[SERVICES].agenda  # type: ignore[attr-defined]
    return {"a": agenda, "lang": lang, "t": _t(request, lang),
            "date": agenda.starts.strftime("%d.%m.%Y"), "time": agenda.starts.strftime("%H:%M"),
            "published": agenda.published_at.astimezone(agenda.starts.tzinfo).strftime("%d.%m.%Y %H:%M"),
            "changed": agenda.changed_at.astimezone(agenda.starts.tzinfo).strftime("%d.%m.%Y %H:%M"),
            "asks": {k: renderer.render("Agenda", f"ask_{k}", lang) for k in ("information", "discussion", "advice")},
            "page_url": svc.public_url(agenda.council_id, agenda.meeting_key),
            "ics_url": svc.public_url(agenda.council_id, agenda.meeting_key, ".ics"),
            "md_url": svc.public_url(agenda.council_id, agenda.meeting_key, ".md")}


def to_ical(agenda: PublicAgenda, summary: str, description: str, url: str) -> bytes:
    """One VEVENT whose UID never changes and whose SEQUENCE rises with every change to the agenda."""
    cal = Calendar()
    cal.add("prodid", "-//KKR Nordjylland//Passagerraad dagsorden//DA")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"passagerraad-{agenda.council_id}-{agenda.meeting_key}@kkr-nordjylland.dk")
    event.add("sequence", agenda.sequence)
    event.add("dtstamp", agenda.changed_at)
    event.add("last-modified", agenda.changed_at)
    event.add("dtstart", agenda.starts)
    event.add("dtend", agenda.ends)
    event.add("summary", summary)
    event.add("location", agenda.place)
    event.add("description", description)
    event.add("url", url)
    cal.add_component(event)
    cal.add_missing_timezones()  # a VTIMEZONE for Europe/Copenhagen, so DTSTART;TZID resolves everywhere
    return cal.to_ical()


async def _load(request: web.Request) -> tuple[PublicAgenda, str]:
    council, meeting = request.match_info["council"], request.match_info["meeting"]
    suffix = ""
    for ext in (".ics", ".md", ".html"):
        if meeting.endswith(ext):
            meeting, suffix = meeting[: -len(ext)], ext
    agenda = await public_agenda(request.app[SERVICES].agenda, council, meeting)  # type: ignore[attr-defined]
    if agenda is None:
        raise web.HTTPNotFound(text=_t(request, _lang(request))("not_found"), content_type="text/plain")
    return agenda, suffix


async def meeting_page(request: web.Request) -> web.Response:
    agenda, suffix = await _load(request)
    lang = _lang(request)
    ctx = _context(request, agenda, lang)
    headers = {"Cache-Control": CACHE}
    if suffix == ".ics":
        lines = [f"{i.position}. {i.title if not i.closed_session else ctx['t']('closed_stub')}" for i in agenda.items]
        body = to_ical(agenda, ctx["t"]("summary", council=agenda.council_name, date=ctx["date"]),
                       "\n".join(lines), ctx["page_url"])
        content_type = "text/calendar"
        headers["Content-Disposition"] = f'attachment; filename="passagerraad-{agenda.meeting_key}.ics"'
    elif suffix == ".md":
        body = _MD_ENV.get_template("agenda.md.j2").render(**ctx).encode()
        content_type = "text/markdown"
    else:
        body = _ENV.get_template("agenda.html.j2").render(**ctx).encode()
        content_type = "text/html"
    # The ETag follows the content: a new outcome changes the page without changing the invitation.
    headers["ETag"] = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


async def council_index(request: web.Request) -> web.Response:
    svc = request.app[SERVICES].agenda  # type: ignore[attr-defined]
    council = svc.councils.get(request.match_info["council"])
    if council is None:
        raise web.HTTPNotFound(text="not found")
    lang = _lang(request)
    meetings = []
    for meeting in council.meetings:
        if await public_agenda(svc, council.id, meeting.key) is not None:
            meetings.append({"url": svc.public_url(council.id, meeting.key),
                             "label": meeting.starts.strftime("%d.%m.%Y") + " – " + meeting.place})
    html = _ENV.get_template("agenda_index.html.j2").render(t=_t(request, lang), lang=lang, council=council.name,
                                                            meetings=meetings)
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers={"Cache-Control": CACHE})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/passagerraad/{council}", council_index)
    app.router.add_get("/passagerraad/{council}/{meeting}", meeting_page)
