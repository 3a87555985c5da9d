"""Passenger-council agenda items in Teams: submit, review, comment, publish, outcome, feedback (issue 7)."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.recognizer import Match
from bot.turn import Turn
from handlers import cards
from services.agenda import ASKS, Actor, AgendaError, AgendaService, Council, ItemFields, Member
from services.agenda.config import DEADLINES, ROLES
from services.agenda.models import AgendaItem
from services.errors import ConcurrencyConflict

R = "Agenda"
MAX_LIST = 20  # items per list card: keeps every card far below Teams' 40 KB
GROUP_STATES = ("submitted", "needs_changes", "accepted", "deferred", "on_agenda", "treated",
                "awaiting_feedback", "feedback_given", "closed")
Handler = Callable[[Turn, Match], Awaitable[None]]


# ---- small helpers ---------------------------------------------------------------------------------------
def service(turn: Turn) -> AgendaService:
    return turn.services.agenda  # type: ignore[no-any-return]


def actor(turn: Turn) -> Actor:
    return Actor((turn.user.aad_id or "").lower(), turn.user.name)


def label(turn: Turn, kind: str, code: str) -> str:
    key = f"{kind}_{code}"
    return turn.t(R, key) if turn.renderer.has(R, key, "da") else code


def fmt_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d.%m.%Y")


def fmt_local(council: Council, value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(council.timezone)).strftime("%d.%m.%Y %H:%M")


def meeting_label(council: Council, key: str | None) -> str:
    meeting = council.meeting(key or "")
    return meeting.starts.strftime("%d.%m.%Y") if meeting else ""


def _join(turn: Turn, kind: str, codes: list[str]) -> str:
    return ", ".join(label(turn, kind, c) for c in codes) if codes else turn.t(R, "none")


def error_text(turn: Turn, err: AgendaError) -> str:
    """The refusal in the user's words: codes become labels, ISO dates become local dates."""
    v: dict[str, Any] = dict(err.variables)
    for key, kind in (("action", "action"), ("state", "state"), ("field", "field")):
        if v.get(key):
            v[key] = label(turn, kind, str(v[key]))
    v["allowed"] = _join(turn, "action", list(v.get("allowed") or []))
    v["states"] = _join(turn, "state", list(v.get("states") or []))
    roles = [label(turn, "role", r) for r in v.get("roles") or []]
    v["roles"] = (", ".join(roles[:-1]) + f" {turn.t(R, 'or')} " + roles[-1]) if len(roles) > 1 else "".join(roles)
    v["asks"] = _join(turn, "ask", list(v.get("asks") or []))
    v["deadline"] = label(turn, "deadline", str(v["deadline"])) if v.get("deadline") else ""
    v["parties"] = ", ".join(v.get("parties") or [])
    v["taken"] = ", ".join(str(p) for p in v.get("taken") or [])
    for key in ("opens", "closes"):
        if v.get(key):
            v[key] = fmt_date(v[key])
    v.setdefault("text", "")
    return turn.t("AgendaErrors", err.response_key, **v)


def guarded(fn: Handler) -> Handler:
    """Refusals become a clear reply; the user's input is kept in the reply where it matters."""
    @functools.wraps(fn)
    async def wrapper(turn: Turn, match: Match) -> None:
        try:
            await fn(turn, match)
        except AgendaError as err:
            turn.replies.clear()
            turn.reply(error_text(turn, err))
        except ConcurrencyConflict:
            turn.replies.clear()
            turn.reply(error_text(turn, AgendaError("stale", item="", state="")))
    return wrapper


def _value(turn: Turn, *names: str) -> str:
    data = turn.value or {}
    for name in names:
        raw = data.get(name)
        if raw not in (None, ""):
            return str(raw).strip()
    return ""


def _int(raw: Any) -> int | None:
    try:
        return int(float(str(raw)))
    except (TypeError, ValueError):
        return None


def _date(turn: Turn, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise AgendaError("required", field="decision_date") from None


def _private(turn: Turn, item: AgendaItem) -> bool:
    """A closed-session item shows its content only in a 1:1 chat, never in a group chat or channel."""
    return item.closed_session and not turn.conversation.is_personal


def _title(turn: Turn, item: AgendaItem) -> str:
    return turn.t(R, "closed_stub") if _private(turn, item) else item.title


# ---- cards ------------------------------------------------------------------------------------------------
def _input_text(turn: Turn, id_: str, field: str, *, value: str = "", required: bool = False,
                multiline: bool = False, max_length: int = 2000) -> dict:
    block: dict[str, Any] = {"type": "Input.Text", "id": id_, "label": turn.t(R, f"field_{field}"),
                             "isRequired": required, "maxLength": max_length, "value": value}
    if multiline:
        block["isMultiline"] = True
    if required:
        block["errorMessage"] = turn.t("AgendaErrors", "required", field=turn.t(R, f"field_{field}"))
    return block


def _choices(turn: Turn, id_: str, field: str, options: list[tuple[str, str]], value: str = "",
             required: bool = True) -> dict:
    block = {"type": "Input.ChoiceSet", "id": id_, "label": turn.t(R, f"field_{field}"), "style": "compact",
             "isRequired": required, "value": value, "choices": [{"title": t, "value": v} for v, t in options]}
    if required:
        block["errorMessage"] = turn.t("AgendaErrors", "required", field=turn.t(R, f"field_{field}"))
    return block


def _show(title: str, body: list[dict], submit_title: str, data: dict) -> dict:
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "body": body, "actions": [cards.submit(submit_title, data)]}}


def submit_card(turn: Turn, council: Council, svc: AgendaService, item: AgendaItem | None = None,
                values: dict[str, Any] | None = None) -> dict:
    """The submission form; ``values`` refills it after a refusal so nothing typed is lost."""
    v = dict(values or {})
    if item is not None and not values:
        v = {"title": item.title, "description": item.description, "ask": item.ask,
             "responsible_party": item.responsible_party, "meeting": item.meeting_key or "",
             "decision_date": item.decision_date.isoformat() if item.decision_date else "",
             "closed_session": "true" if item.closed_session else "false"}
    upcoming = svc.upcoming(council)
    body = [cards.text(turn.t(R, "edit_title", item=item.id) if item else turn.t(R, "submit_title"),
                       weight="Bolder", size="Medium")]
    if upcoming:
        first = upcoming[0]
        body.append(cards.text(turn.t(R, "submit_intro", meeting=fmt_date(first.starts),
                                      deadline=fmt_date(_dates(svc, council, first)["submission"]))))
    else:
        body.append(cards.text(turn.t(R, "submit_intro_no_meeting")))
    body += [
        _input_text(turn, "title", "title", value=str(v.get("title", "")), required=True, max_length=200),
        _input_text(turn, "description", "description", value=str(v.get("description", "")), required=True,
                    multiline=True, max_length=4000),
        _choices(turn, "ask", "ask", [(a, label(turn, "ask", a)) for a in ASKS], str(v.get("ask", ""))),
        _choices(turn, "responsible_party", "responsible_party", [(p, p) for p in council.parties],
                 str(v.get("responsible_party", ""))),
        {"type": "Input.Date", "id": "decision_date", "label": turn.t(R, "field_decision_date"),
         "value": str(v.get("decision_date", ""))},
        _choices(turn, "meeting", "meeting", [(m.key, fmt_date(m.starts)) for m in upcoming],
                 str(v.get("meeting") or (upcoming[0].key if upcoming else "")), required=False),
        {"type": "Input.Toggle", "id": "closed_session", "label": turn.t(R, "field_closed_session"),
         "title": turn.t(R, "field_closed_session"), "valueOn": "true", "valueOff": "false",
         "value": str(v.get("closed_session", "false"))},
    ]
    base = {"intent": "AgendaSubmitCard", "council": council.id}
    if item is not None:
        base.update(item=item.id, version=item.version)
    return cards.card(body, [cards.submit(turn.t(R, "button_submit"), {**base, "submit": True}),
                             cards.submit(turn.t(R, "button_save_draft"), {**base, "submit": False})])


def _dates(svc: AgendaService, council: Council, meeting: Any) -> dict[str, date]:
    from services.agenda import deadlines as dl

    return dl.compute(council, meeting).dates


def item_card(turn: Turn, council: Council, svc: AgendaService, item: AgendaItem, rel: frozenset[str],
              history: list[Any], comments: list[Any], deadlines: Any | None) -> dict:
    private = _private(turn, item) or (rel == {"public"} and item.closed_session)
    group = rel != {"public"}
    body: list[dict] = [cards.text(turn.t(R, "item_title", item=item.id, title=_title(turn, item)
                                          if not private else turn.t(R, "closed_stub")),
                                   weight="Bolder", size="Medium")]
    pairs = [(turn.t(R, "fact_state"), label(turn, "state", item.state))]
    if item.meeting_key:
        pairs.append((turn.t(R, "fact_meeting"), meeting_label(council, item.meeting_key)))
    if item.position:
        pairs.append((turn.t(R, "fact_position"), str(item.position)))
    if not private:
        pairs += [(turn.t(R, "field_ask"), label(turn, "ask", item.ask)),
                  (turn.t(R, "field_responsible_party"), item.responsible_party)]
        if item.decision_date:
            pairs.append((turn.t(R, "field_decision_date"), fmt_date(item.decision_date)))
    if group:
        pairs.append((turn.t(R, "field_closed_session"), turn.t(R, "word_yes" if item.closed_session else "word_no")))
        pairs.append((turn.t(R, "fact_submitter"), f"{item.submitter_name} ({item.submitter_party})"))
        if item.late:
            pairs.append((turn.t(R, "fact_late"), turn.t(R, "late")))
    body.append(cards.facts(pairs))
    if not private:
        body.append(cards.text(item.description[:4000]))
        if item.outcome:
            body += [cards.text(turn.t(R, "field_outcome"), weight="Bolder"), cards.text(item.outcome[:4000])]
        if item.feedback and group:
            body += [cards.text(turn.t(R, "field_feedback") + f" – {item.feedback_by or ''}", weight="Bolder"),
                     cards.text(item.feedback[:4000])]
    if group and not private:
        if item.state == "accepted" and deadlines is not None:
            body.append(cards.text(turn.t(R, "comments_window", opens=fmt_date(deadlines.dates["comments_open"]),
                                          closes=fmt_date(deadlines.dates["comments_close"])), subtle=True))
        if comments:
            body.append(cards.text(turn.t(R, "comments_title"), weight="Bolder"))
            body += [cards.text(turn.t(R, "comment_line", at=fmt_local(council, c.created_at), who=c.author_name,
                                       party=c.author_party, text=c.text[:1000])) for c in comments[-10:]]
        if history:
            body.append(cards.text(turn.t(R, "history_title"), weight="Bolder"))
            body += [cards.text(turn.t(R, "history_line", at=fmt_local(council, h.at), who=h.actor_name,
                                       role=label(turn, "role", h.actor_role),
                                       **{"from": label(turn, "state", h.from_state) if h.from_state else "–"},
                                       to=label(turn, "state", h.to_state), reason=(h.reason or "")[:300]),
                                subtle=True) for h in history[-10:]]
    return cards.card(body, _item_actions(turn, council, svc, item, rel))


def _item_actions(turn: Turn, council: Council, svc: AgendaService, item: AgendaItem,
                  rel: frozenset[str]) -> list[dict]:
    allowed = svc.allowed(item, rel)
    n = item.id  # input ids carry the item id: a list card may hold forms for several items
    base = {"intent": "AgendaAction", "item": item.id, "version": item.version}
    out: list[dict] = []
    upcoming = [(m.key, fmt_date(m.starts)) for m in svc.upcoming(council)]
    for action in allowed:
        b = f"button_{action}"
        data = {**base, "action": action}
        if action == "edit":
            out.append(cards.submit(turn.t(R, "button_edit"), {**base, "action": "edit_form"}))
        elif action == "accept":
            out.append(_show(turn.t(R, b), [
                _choices(turn, f"meeting_accept_{n}", "meeting", upcoming, item.meeting_key or ""),
                {"type": "Input.Number", "id": f"position_{n}", "label": turn.t(R, "field_position"), "min": 1,
                 "max": 99, "isRequired": True,
                 "errorMessage": turn.t("AgendaErrors", "position_required")}], turn.t(R, b), data))
        elif action in ("decline", "request_changes"):
            out.append(_show(turn.t(R, b), [_input_text(turn, f"reason_{action}_{n}", "reason", required=True,
                                                        multiline=True)], turn.t(R, b), data))
        elif action == "defer":
            later = [(k, t) for k, t in upcoming if k != item.meeting_key]
            out.append(_show(turn.t(R, b), [_choices(turn, f"meeting_defer_{n}", "meeting", later, required=False),
                                            _input_text(turn, f"reason_defer_{n}", "reason", multiline=True)],
                             turn.t(R, b), data))
        elif action == "comment":
            out.append(_show(turn.t(R, b), [_input_text(turn, f"text_{n}", "text", required=True, multiline=True)],
                             turn.t(R, "button_send"), data))
        elif action == "record_outcome":
            out.append(_show(turn.t(R, b), [
                _input_text(turn, f"outcome_{n}", "outcome", required=True, multiline=True, max_length=4000),
                {"type": "Input.Toggle", "id": f"request_feedback_{n}", "label": turn.t(R, "field_request_feedback"),
                 "title": turn.t(R, "field_request_feedback"), "value": "true", "valueOn": "true",
                 "valueOff": "false"}], turn.t(R, b), data))
        elif action == "give_feedback":
            out.append(_show(turn.t(R, b), [_input_text(turn, f"feedback_{n}", "feedback", required=True,
                                                        multiline=True, max_length=4000)],
                             turn.t(R, "button_send"), data))
        else:  # submit, withdraw, request_feedback, close: one click
            out.append(cards.submit(turn.t(R, b), data))
    return out[:6]  # Teams shows at most six actions


def _item_line(turn: Turn, council: Council, item: AgendaItem) -> dict:
    """One list entry; tapping it opens the item (as if the user wrote 'punkt N')."""
    line = turn.t(R, "mine_line", item=item.id, title=_title(turn, item), state=label(turn, "state", item.state),
                  meeting=meeting_label(council, item.meeting_key), late=item.late)
    utterance = ("punkt " if turn.lang == "da" else "item ") + str(item.id)
    return {"type": "Container", "items": [cards.text(line)],
            "selectAction": {"type": "Action.Submit", "title": turn.t(R, "button_show", item=item.id),
                             "data": {"msteams": {"type": "imBack", "value": utterance}}}}


def _list_card(turn: Turn, council: Council, title: str, items: list[AgendaItem]) -> dict:
    body = [cards.text(title, weight="Bolder", size="Medium")]
    body += [_item_line(turn, council, i) for i in items[:MAX_LIST]]
    if len(items) > MAX_LIST:
        body.append(cards.text(turn.t(R, "more", count=len(items) - MAX_LIST), subtle=True))
    return cards.card(body)


# ---- handlers ---------------------------------------------------------------------------------------------
@guarded
async def submit_start(turn: Turn, match: Match) -> None:
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    if council.member(actor(turn).aad_id) is None:
        turn.say(R, "not_member", council=council.name)
        return
    turn.reply(card=submit_card(turn, council, svc))


async def submit_card_done(turn: Turn, match: Match) -> None:
    """The submission card came back: create (or edit and resubmit) the item; refusals refill the card."""
    svc = service(turn)
    data = turn.value or {}
    council = svc.councils.get(str(data.get("council") or "")) or next(iter(svc.councils.values()))
    item_id = _int(data.get("item"))
    send = data.get("submit") in (True, "true")
    try:
        council = await svc.council(council.id)
        fields = ItemFields(title=_value(turn, "title"), description=_value(turn, "description"),
                            ask=_value(turn, "ask"), responsible_party=_value(turn, "responsible_party"),
                            decision_date=_date(turn, _value(turn, "decision_date")),
                            closed_session=_value(turn, "closed_session").lower() == "true",
                            meeting_key=_value(turn, "meeting") or None)
        if item_id is None:
            item = await svc.create(council.id, actor(turn), fields, submit=send)
        else:
            item = await svc.act(item_id, "submit" if send else "edit", actor(turn),
                                 expected_version=_int(data.get("version")), fields=fields)
    except (AgendaError, ConcurrencyConflict) as err:
        err = err if isinstance(err, AgendaError) else AgendaError("stale", item="", state="")
        turn.reply(error_text(turn, err))
        if err.response_key in ("required", "too_long", "unknown_ask", "unknown_party", "meeting_passed",
                                "unknown_meeting"):
            existing = (await svc.get(item_id, actor(turn)))[0] if item_id is not None else None
            turn.reply(card=submit_card(turn, council, svc, existing, values=data))
        return
    if item.state == "draft" or not send:
        turn.say(R, "created_draft", item=item.id, title=_title(turn, item))
        return
    meeting = council.meeting(item.meeting_key or "")
    deadline = fmt_date(_dates(svc, council, meeting)["submission"]) if meeting else ""
    turn.say(R, "submitted", item=item.id, title=_title(turn, item), meeting=meeting_label(council, item.meeting_key),
             late=item.late, deadline=deadline)


@guarded
async def mine(turn: Turn, match: Match) -> None:
    svc = service(turn)
    items = await svc.mine(actor(turn).aad_id)
    if not items:
        turn.say(R, "mine_none")
        return
    council = await svc.council(items[0].council_id)
    turn.reply(card=_list_card(turn, council, turn.t(R, "mine_title"), items))


@guarded
async def show_item(turn: Turn, match: Match) -> None:
    item_id = _int(match.slots.get("agenda_item"))
    if item_id is None:
        raise AgendaError("unknown_item", item="")
    await _send_item(turn, item_id)


async def _send_item(turn: Turn, item_id: int, text: str | None = None) -> None:
    svc = service(turn)
    item, council, rel = await svc.get(item_id, actor(turn))
    group = rel != {"public"}
    history = await svc.history(item.id) if group else []
    comments = await svc.comments(item.id) if group else []
    meeting = council.meeting(item.meeting_key or "")
    deadlines = await svc.deadlines(council, meeting) if meeting else None
    turn.reply(text, card=item_card(turn, council, svc, item, rel, history, comments, deadlines))


@guarded
async def action(turn: Turn, match: Match) -> None:
    """A button on an item card: one state-machine action, version-checked against what the user saw."""
    svc = service(turn)
    data = turn.value or {}
    name = str(data.get("action") or "")
    item_id = _int(data.get("item"))
    version = _int(data.get("version"))
    if item_id is None:
        raise AgendaError("unknown_item", item="")
    who = actor(turn)
    if name == "edit_form":
        item, council, rel = await svc.get(item_id, who)
        if "submitter" not in rel or item.state not in ("draft", "needs_changes"):
            from services.agenda.workflow import check

            check(item.state, "edit", rel)
        turn.reply(card=submit_card(turn, council, svc, item))
        return
    def field(*names: str) -> str:
        return _value(turn, *(f"{n}_{item_id}" for n in names), *names)

    if name == "record_outcome":
        item = await svc.record_outcome(item_id, who, field("outcome"), expected_version=version,
                                        request_feedback=field("request_feedback") != "false")
        council = await svc.council(item.council_id)
        asked = item.state == "awaiting_feedback"
        meeting = council.meeting(item.meeting_key or "")
        due = fmt_date((await svc.deadlines(council, meeting)).dates["feedback"]) if meeting else ""
        turn.say(R, "outcome_recorded", item=item.id, asked=asked, party=item.responsible_party, due=due)
        return
    params: dict[str, Any] = {}
    if name in ("decline", "request_changes", "defer"):
        params["reason"] = field(f"reason_{name}", "reason")
    if name == "accept":
        params.update(meeting_key=field("meeting_accept", "meeting") or None, position=field("position"))
    if name == "defer":
        params["meeting_key"] = field("meeting_defer") or None
    if name == "comment":
        params["text"] = field("text")
    if name == "give_feedback":
        params["feedback"] = field("feedback")
    try:
        item = await svc.act(item_id, name, who, expected_version=version, **params)
    except AgendaError as err:
        if err.response_key == "comments_closed":
            err.variables["text"] = params.get("text", "")
        raise
    if name == "comment":
        turn.say(R, "commented", item=item.id)
    elif name == "give_feedback":
        turn.say(R, "feedback_thanks", item=item.id)
    else:
        turn.say(R, "done", item=item.id, action=label(turn, "action", name), state=label(turn, "state", item.state))


@guarded
async def review(turn: Turn, match: Match) -> None:
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    _reviewer(turn, council, "accept")
    items = await svc.items(council.id, ("submitted", "deferred"))
    if not items:
        turn.say(R, "review_none")
        return
    turn.reply(card=_list_card(turn, council, turn.t(R, "review_title"), items))


def _reviewer(turn: Turn, council: Council, action_name: str) -> Member:
    member = council.member(actor(turn).aad_id)
    if member is None or member.role not in ("secretariat", "chairperson"):
        raise AgendaError("not_your_role", action=action_name, state="", allowed=[],
                          roles=["secretariat", "chairperson"])
    return member


@guarded
async def next_agenda(turn: Turn, match: Match) -> None:
    """The next meeting's agenda: the working draft for group members in a 1:1 chat, else the public view."""
    svc = service(turn)
    who = actor(turn)
    council = await svc.home_council(who.aad_id)
    meeting = svc.next_meeting(council)
    if meeting is None:
        turn.say(R, "no_meeting")
        return
    member = council.member(who.aad_id)
    draft_view = member is not None and turn.conversation.is_personal
    row = await svc.meeting_state(council.id, meeting.key)
    published = row is not None and row.published_at is not None
    states = ("accepted", "on_agenda") if draft_view else ("on_agenda",)
    items = await svc.items(council.id, states, meeting.key) if (draft_view or published) else []
    deadlines = await svc.deadlines(council, meeting)
    body = [cards.text(turn.t(R, "agenda_title", council=council.name, meeting=fmt_local(council, deadlines.meeting_start)),
                       weight="Bolder", size="Medium"),
            cards.text(turn.t(R, "agenda_place", place=meeting.place)),
            cards.text(turn.t(R, "agenda_status_published" if published else
                              ("agenda_status_draft" if draft_view else "agenda_status_none")), subtle=True),
            cards.facts([(label(turn, "deadline", n), fmt_date(deadlines.dates[n])) for n in DEADLINES[:4]])]
    for item in items[:MAX_LIST]:
        stub = item.closed_session and not draft_view
        line = turn.t(R, "agenda_line", position=item.position or "–", closed=item.closed_session,
                      title=turn.t(R, "closed_stub") if stub else item.title, state=label(turn, "state", item.state))
        body.append({"type": "Container", "items": [cards.text(line)]} if stub else _wrap_open(turn, line, item.id))
    if not items:
        body.append(cards.text(turn.t(R, "agenda_empty"), subtle=True))
    elif len(items) > MAX_LIST:
        body.append(cards.text(turn.t(R, "more", count=len(items) - MAX_LIST), subtle=True))
    actions = []
    if published:
        actions += [cards.open_url(turn.t(R, "button_public_page"), svc.public_url(council.id, meeting.key)),
                    cards.open_url(turn.t(R, "button_calendar"), svc.public_url(council.id, meeting.key, ".ics"))]
    accepted = [i for i in items if i.state == "accepted"]
    if draft_view and member and member.role in ("secretariat", "chairperson") and accepted:
        actions.append(cards.submit(turn.t(R, "button_publish", count=len(accepted)),
                                    {"intent": "AgendaPublishCard", "council": council.id, "meeting": meeting.key,
                                     "expected": {str(i.id): i.version for i in accepted}}))
    turn.reply(card=cards.card(body, actions))


def _wrap_open(turn: Turn, line: str, item_id: int) -> dict:
    utterance = ("punkt " if turn.lang == "da" else "item ") + str(item_id)
    return {"type": "Container", "items": [cards.text(line)],
            "selectAction": {"type": "Action.Submit", "title": turn.t(R, "button_show", item=item_id),
                             "data": {"msteams": {"type": "imBack", "value": utterance}}}}


@guarded
async def publish_start(turn: Turn, match: Match) -> None:
    svc = service(turn)
    _reviewer(turn, await svc.home_council(actor(turn).aad_id), "publish")
    await next_agenda(turn, match)


@guarded
async def publish(turn: Turn, match: Match) -> None:
    svc = service(turn)
    data = turn.value or {}
    expected_raw = data.get("expected")
    expected = ({int(k): int(v) for k, v in expected_raw.items()} if isinstance(expected_raw, dict) else None)
    council_id, meeting_key = str(data.get("council") or ""), str(data.get("meeting") or "")
    items = await svc.publish(council_id, meeting_key, actor(turn), expected=expected)
    council = await svc.council(council_id)
    turn.say(R, "published", meeting=meeting_label(council, meeting_key), count=len(items),
             url=svc.public_url(council_id, meeting_key))


@guarded
async def outcomes(turn: Turn, match: Match) -> None:
    """Items on the agenda of meetings that have taken place, each with a form for its outcome."""
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    _reviewer(turn, council, "record_outcome")
    held = {m.key for m in council.meetings} - {m.key for m in svc.upcoming(council)}
    items = [i for i in await svc.items(council.id, ("on_agenda",)) if i.meeting_key in held]
    await _forms(turn, council, items, "outcomes", "record_outcome")


@guarded
async def feedback(turn: Turn, match: Match) -> None:
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    member = council.member(actor(turn).aad_id)
    if member is None:
        raise AgendaError("not_a_member", council=council.name)
    items = [i for i in await svc.items(council.id, ("awaiting_feedback",))
             if i.responsible_party == member.party or member.role == "secretariat"]
    await _forms(turn, council, items, "feedback", "give_feedback")


async def _forms(turn: Turn, council: Council, items: list[AgendaItem], key: str, action_name: str) -> None:
    if not items:
        turn.say(R, f"{key}_none")
        return
    svc = service(turn)
    body: list[dict] = [cards.text(turn.t(R, f"{key}_title"), weight="Bolder", size="Medium")]
    for item in items[:10]:
        rel = svc.relations(council, item, actor(turn).aad_id)
        acts = [a for a in _item_actions(turn, council, svc, item, rel) if a["title"] == turn.t(R, f"button_{action_name}")]
        body.append(cards.text(turn.t(R, "item_title", item=item.id, title=_title(turn, item)), weight="Bolder"))
        if acts:
            body.append({"type": "ActionSet", "actions": acts})
    if len(items) > 10:
        body.append(cards.text(turn.t(R, "more", count=len(items) - 10), subtle=True))
    turn.reply(card=cards.card(body))


@guarded
async def deadlines(turn: Turn, match: Match) -> None:
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    member = council.member(actor(turn).aad_id)
    editable = member is not None and member.role == "secretariat"
    body: list[dict] = [cards.text(turn.t(R, "deadlines_title", council=council.name), weight="Bolder", size="Medium")]
    for meeting in svc.upcoming(council)[:6]:
        d = await svc.deadlines(council, meeting)
        body += [cards.text(turn.t(R, "deadlines_meeting", meeting=fmt_local(council, d.meeting_start)), weight="Bolder"),
                 cards.facts([(label(turn, "deadline", n), fmt_date(d.dates[n])) for n in DEADLINES])]
        if editable:
            inputs = [{"type": "Input.Date", "id": f"{meeting.key}_{n}", "label": label(turn, "deadline", n),
                       "value": d.dates[n].isoformat(), "isRequired": True,
                       "errorMessage": turn.t(R, "bad_date", value="")} for n in DEADLINES]
            body.append({"type": "ActionSet", "actions": [_show(
                turn.t(R, "button_deadlines_change", meeting=fmt_date(meeting.starts)), inputs,
                turn.t(R, "button_send"), {"intent": "AgendaDeadlinesCard", "council": council.id,
                                           "meeting": meeting.key})]})
    turn.reply(card=cards.card(body))


@guarded
async def deadlines_done(turn: Turn, match: Match) -> None:
    svc = service(turn)
    data = turn.value or {}
    council = await svc.council(str(data.get("council") or ""))
    meeting_key = str(data.get("meeting") or "")
    meeting = council.meeting(meeting_key)
    if meeting is None:
        raise AgendaError("unknown_meeting", meeting=meeting_key)
    current = (await svc.deadlines(council, meeting)).dates
    changes: dict[str, date] = {}
    for name in DEADLINES:
        raw = _value(turn, f"{meeting_key}_{name}", name)
        if not raw:
            continue
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            turn.say(R, "bad_date", value=raw[:40])
            return
        if value != current[name]:
            changes[name] = value
    if not changes:
        council_member = council.member(actor(turn).aad_id)
        if council_member is None or council_member.role != "secretariat":
            raise AgendaError("not_your_role", action="set_deadlines", state="", allowed=[], roles=["secretariat"])
        turn.say(R, "deadlines_no_change")
        return
    await svc.set_deadlines(council.id, meeting_key, actor(turn), changes)
    turn.say(R, "deadlines_saved", meeting=fmt_date(meeting.starts))


@guarded
async def members(turn: Turn, match: Match) -> None:
    svc = service(turn)
    council = await svc.home_council(actor(turn).aad_id)
    me = council.member(actor(turn).aad_id)
    if me is None:
        raise AgendaError("not_a_member", council=council.name)
    body: list[dict] = [cards.text(turn.t(R, "members_title", council=council.name), weight="Bolder", size="Medium")]
    body += [cards.text(turn.t(R, "member_line", name=m.name, party=m.party, role=label(turn, "role", m.role)))
             for m in sorted(council.members, key=lambda m: (ROLES.index(m.role), m.party, m.name))]
    actions = []
    if me.role == "secretariat":
        base = {"intent": "AgendaMemberCard", "council": council.id}
        actions.append(_show(turn.t(R, "button_member_save"), [
            _input_text(turn, "aad_id", "aad_id", required=True, max_length=64),
            _input_text(turn, "name", "name", required=True, max_length=200),
            _choices(turn, "party", "party", [(p, p) for p in council.parties]),
            _choices(turn, "role", "role", [(r, label(turn, "role", r)) for r in ROLES], "member"),
            _input_text(turn, "email", "email", max_length=200)], turn.t(R, "button_member_save"),
            {**base, "op": "save"}))
        actions.append(_show(turn.t(R, "button_member_remove"), [
            _choices(turn, "remove", "name", [(m.aad_id, f"{m.name} ({m.party})") for m in council.members
                                              if m.aad_id != me.aad_id])],
            turn.t(R, "button_member_remove"), {**base, "op": "remove"}))
    turn.reply(card=cards.card(body, actions))


@guarded
async def member_done(turn: Turn, match: Match) -> None:
    svc = service(turn)
    data = turn.value or {}
    council = await svc.council(str(data.get("council") or ""))
    if data.get("op") == "remove":
        target = council.member(_value(turn, "remove"))
        if target is None:
            raise AgendaError("required", field="name")
        await svc.set_member(council.id, actor(turn), target, active=False)
        turn.say(R, "member_removed", name=target.name)
        return
    new = Member(_value(turn, "aad_id").lower(), _value(turn, "name"), _value(turn, "party"),
                 _value(turn, "role") or "member", _value(turn, "email"))
    if not new.name:
        raise AgendaError("required", field="name")
    await svc.set_member(council.id, actor(turn), new)
    turn.say(R, "member_saved", name=new.name, role=label(turn, "role", new.role), party=new.party)


HANDLERS: dict[str, Handler] = {
    "AgendaSubmit": submit_start,
    "AgendaSubmitCard": submit_card_done,
    "AgendaMine": mine,
    "AgendaItem": show_item,
    "AgendaAction": action,
    "AgendaReview": review,
    "AgendaNext": next_agenda,
    "AgendaPublish": publish_start,
    "AgendaPublishCard": publish,
    "AgendaOutcomes": outcomes,
    "AgendaFeedback": feedback,
    "AgendaDeadlines": deadlines,
    "AgendaDeadlinesCard": deadlines_done,
    "AgendaMembers": members,
    "AgendaMemberCard": member_done,
}
