"""Confidential reporting of sexism: the reporter's flow (1:1 only) and the recipients' case work.

Every reporter turn is ``confidential``: no conversation reference is kept and an empty state row is
deleted. The draft lives encrypted in conversation state under its own key (services.reports.draft);
text the reporter wrote is only ever placed in TextRuns (no markdown), never in a reply's text or a log.
"""
from __future__ import annotations

import re
from typing import Any

from bot.recognizer import Match
from bot.turn import Turn
from handlers import cards
from services.municipalities import ALL as MUNICIPALITIES
from services.municipalities import resolve
from services.reports.codes import find_code, normalize_ref
from services.reports.service import (
    LIMITS,
    TRANSITIONS,
    WHERE,
    Draft,
    FollowUpRefused,
    Reporter,
    ReportInputError,
    ReportNotFound,
    clean_text,
)

R = "Report"
FLOW = "report"
YES = {"ja", "j", "yes", "y", "gerne", "ok", "jo"}
NO = {"nej", "n", "no", "nope"}
SKIP = {"spring over", "skip", "ved ikke", "don't know", "-", "nej", "no", "ingen", "none"}


# ---- helpers ---------------------------------------------------------------------------------------
def _svc(turn: Turn):  # type: ignore[no-untyped-def]
    return turn.services.reports


def _run(value: str, **extra: Any) -> dict:
    """User text as a RichTextBlock/TextRun: rendered literally, no markdown, no links."""
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value, **extra}]}


def _plain(value: str, limit: int = 120) -> str:
    """A name from Teams for a FactSet value (which renders markdown): no markup, no control characters."""
    return re.sub(r"[\x00-\x1f\x7f*_`~#\[\]()<>|\\]", "", value)[:limit].strip()


def _private_only(turn: Turn) -> bool:
    """In a group chat or channel: say to write privately, store nothing."""
    turn.confidential = True
    if turn.conversation.is_personal:
        return False
    turn.say(R, "private_only")
    return True


def _where_label(turn: Turn, key: str) -> str:
    return turn.t(R, f"where_{key}")


def _status_label(turn: Turn, status: str) -> str:
    return turn.t(R, f"status_{status}")


def _day(turn: Turn, day) -> str:  # type: ignore[no-untyped-def]
    return f"{day.day}.{day.month}.{day.year}" if turn.lang == "da" else day.isoformat()


def _save(turn: Turn, step: str, draft: dict) -> None:
    old = (turn.flow or {}).get("data", {}).get("box") if turn.flow and turn.flow.get("name") == FLOW else None
    box = _svc(turn).drafts.seal(draft, (old or {}).get("id"), old)
    turn.start_flow(FLOW, step, {"box": box, "lang": turn.lang})
    turn.state["flow"]["confidential"] = True


def _draft(turn: Turn) -> dict | None:
    flow = turn.flow
    if not flow or flow.get("name") != FLOW:
        return None
    return _svc(turn).drafts.open(flow.get("data", {}).get("box"))


def _discard(turn: Turn) -> None:
    flow = turn.flow
    if flow and flow.get("name") == FLOW:
        _svc(turn).drafts.discard(flow.get("data", {}).get("box"))
    turn.end_flow()


# ---- the reporter: start, explain, form or dialogue, submit ----------------------------------------
async def start(turn: Turn, match: Match) -> None:
    if _private_only(turn):
        return
    if turn.flow and turn.flow.get("name") == FLOW:
        _discard(turn)
    found = [m for m in resolve(turn.text) if _svc(turn).policies.get(m)]
    if len(found) == 1:
        await _explain(turn, found[0])
        return
    _save(turn, "municipality", {})
    turn.say(R, "ask_municipality", suggestions=list(MUNICIPALITIES))


async def _explain(turn: Turn, municipality: str) -> None:
    policy = _svc(turn).policies.get(municipality)
    recipients = [{"name": r.name, "role": turn.t(R, f"role_{r.role}")} for r in policy.recipients]
    turn.reply(turn.t(R, "explain", municipality=municipality, recipients=recipients,
                      anonymous_allowed=policy.anonymous_allowed, exclusion_allowed=policy.exclusion_allowed,
                      council_size=policy.council_size, police=policy.police[turn.lang],
                      support=policy.support[turn.lang]))
    turn.reply(card=_form(turn, policy))
    _save(turn, "anonymous", {"municipality": municipality})
    if policy.anonymous_allowed:
        turn.say(R, "ask_anonymous", suggestions=[turn.t(R, "answer_anonymous"), turn.t(R, "answer_named")])
    else:
        turn.say(R, "named_only_confirm", suggestions=[turn.t(R, "answer_named")])


def _form(turn: Turn, policy) -> dict:  # type: ignore[no-untyped-def]
    t = lambda key, **v: turn.t(R, key, **v)  # noqa: E731
    body: list[dict] = [cards.text(t("form_title", municipality=policy.municipality), weight="Bolder", size="Medium")]
    if policy.anonymous_allowed:
        body.append({"type": "Input.ChoiceSet", "id": "anonymous", "label": t("form_anonymous"), "value": "yes",
                     "style": "expanded", "choices": [{"title": t("answer_anonymous"), "value": "yes"},
                                                      {"title": t("answer_named"), "value": "no"}]})
    else:
        body.append(cards.text(t("named_only_note"), subtle=True))
    body += [
        {"type": "Input.Text", "id": "what", "label": t("form_what"), "isMultiline": True, "isRequired": True,
         "maxLength": LIMITS["what"], "errorMessage": t("form_what_missing")},
        {"type": "Input.Text", "id": "when", "label": t("form_when"), "maxLength": LIMITS["when"]},
        {"type": "Input.ChoiceSet", "id": "where", "label": t("form_where"), "value": "council",
         "choices": [{"title": _where_label(turn, w), "value": w} for w in WHERE]},
    ]
    if policy.exclusion_allowed:
        body.append({"type": "Input.ChoiceSet", "id": "exclude", "label": t("form_exclude"), "value": "",
                     "choices": [{"title": t("exclude_none"), "value": ""}]
                     + [{"title": f"{r.name} ({t('role_' + r.role)})", "value": r.aad_id} for r in policy.recipients]})
    body.append({"type": "Input.Toggle", "id": "conversation", "title": t("form_conversation"), "label": t("form_conversation"),
                 "valueOn": "yes", "valueOff": "no", "value": "no"})
    return cards.card(body, [cards.submit(t("form_submit"), {"intent": "ReportSubmit"})])


async def flow_step(turn: Turn) -> None:
    """Continue the short dialogue (the text alternative to the form)."""
    turn.confidential = True
    turn.lang = turn.flow.get("data", {}).get("lang", turn.lang)
    step = turn.flow.get("step")
    draft = _draft(turn)
    if draft is None:
        turn.end_flow()
        turn.say(R, "draft_expired")
        return
    if step == "municipality":
        found = [m for m in resolve(turn.text) if _svc(turn).policies.get(m)]
        if len(found) != 1:
            turn.say(R, "ask_municipality", suggestions=list(MUNICIPALITIES))
            _save(turn, "municipality", draft)
            return
        _discard(turn)
        await _explain(turn, found[0])
        return
    policy = _svc(turn).policies.get(draft["municipality"])
    answer = turn.text.strip().casefold()
    try:
        await _STEPS[step](turn, policy, draft, answer)
    except ReportInputError as err:
        _save(turn, step, draft)  # keep everything; just ask again
        turn.say(R, err.key, **err.variables)


async def _step_anonymous(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    anonymous = answer.startswith(("anonym", "anonymous")) or answer in {"1"}
    named = "navn" in answer or "name" in answer or answer in {"2"}
    if anonymous and not policy.anonymous_allowed:
        raise ReportInputError("anonymous_not_allowed", municipality=policy.municipality)
    if anonymous == named:
        raise ReportInputError("ask_anonymous_again")
    draft["anonymous"] = anonymous
    _save(turn, "where", draft)
    turn.say(R, "ask_where", suggestions=[_where_label(turn, w) for w in WHERE])


async def _step_where(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    chosen = next((w for i, w in enumerate(WHERE, 1) if answer in {str(i), _where_label(turn, w).casefold()}), None)
    if chosen is None and len(answer) >= 3:  # a word of a label: "udvalget", "facebook" is not one
        words = {w: re.findall(r"\w+", _where_label(turn, w).casefold()) for w in WHERE}
        hits = [w for w, ws in words.items() if any(x.startswith(answer) or answer.startswith(x) for x in ws if len(x) >= 4)]
        chosen = hits[0] if len(hits) == 1 else None
    if chosen is None:
        raise ReportInputError("ask_where_again")
    draft["where"] = chosen
    _save(turn, "when", draft)
    turn.say(R, "ask_when", suggestions=[turn.t(R, "answer_skip")])


async def _step_when(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    draft["when"] = "" if answer in SKIP else clean_text(turn.text, "when")
    _save(turn, "what", draft)
    turn.say(R, "ask_what", limit=LIMITS["what"])


async def _step_what(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    draft["what"] = clean_text(turn.text, "what")
    if policy.exclusion_allowed:
        _save(turn, "exclude", draft)
        options = [f"{r.name} ({turn.t(R, 'role_' + r.role)})" for r in policy.recipients]
        turn.say(R, "ask_exclude", options=options, suggestions=[turn.t(R, "exclude_none")])
        return
    _save(turn, "conversation", draft)
    turn.say(R, "ask_conversation", suggestions=[turn.t(R, "answer_yes"), turn.t(R, "answer_no")])


async def _step_exclude(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    if answer in SKIP or answer == turn.t(R, "exclude_none").casefold():
        draft["exclude"] = ""
    else:
        hits = [r for i, r in enumerate(policy.recipients, 1)
                if answer == str(i) or answer in r.name.casefold() or answer == r.role
                or answer in turn.t(R, "role_" + r.role).casefold()]
        if len(hits) != 1 or len(policy.recipients) < 2:
            raise ReportInputError("ask_exclude_again")
        draft["exclude"] = hits[0].aad_id
    _save(turn, "conversation", draft)
    turn.say(R, "ask_conversation", suggestions=[turn.t(R, "answer_yes"), turn.t(R, "answer_no")])


async def _step_conversation(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    if answer not in YES | NO:
        raise ReportInputError("ask_yes_no")
    draft["wants_conversation"] = answer in YES
    _save(turn, "confirm", draft)
    _confirm(turn, policy, draft)


def _confirm(turn: Turn, policy, draft: dict) -> None:  # type: ignore[no-untyped-def]
    excluded = policy.recipient(draft.get("exclude", "")) if draft.get("exclude") else None
    recipients = [f"{r.name} ({turn.t(R, 'role_' + r.role)})" for r in policy.recipients if r is not excluded]
    body = [cards.text(turn.t(R, "confirm_title"), weight="Bolder"),
            cards.facts([(turn.t(R, "fact_municipality"), policy.municipality),
                         (turn.t(R, "fact_anonymous"), turn.t(R, "answer_yes" if draft["anonymous"] else "answer_no")),
                         (turn.t(R, "fact_where"), _where_label(turn, draft["where"])),
                         (turn.t(R, "fact_conversation"), turn.t(R, "answer_yes" if draft["wants_conversation"] else "answer_no")),
                         (turn.t(R, "fact_recipients"), ", ".join(recipients))]),
            cards.text(turn.t(R, "fact_when"), weight="Bolder"), _run(draft.get("when") or "–"),
            cards.text(turn.t(R, "fact_what"), weight="Bolder"), _run(draft["what"])]
    turn.reply(turn.t(R, "confirm"), card=cards.card(body),
               suggestions=[turn.t(R, "answer_send"), turn.t(R, "answer_cancel")])


async def _step_confirm(turn: Turn, policy, draft: dict, answer: str) -> None:  # type: ignore[no-untyped-def]
    if answer not in {"send", "ja", "yes", "indsend", "submit", turn.t(R, "answer_send").casefold()}:
        raise ReportInputError("ask_send")
    await _submit(turn, Draft(municipality=policy.municipality, anonymous=draft["anonymous"], what=draft["what"],
                              when=draft.get("when", ""), where=draft["where"], exclude=draft.get("exclude", ""),
                              wants_conversation=draft["wants_conversation"]))


_STEPS = {"anonymous": _step_anonymous, "where": _step_where, "when": _step_when, "what": _step_what,
          "exclude": _step_exclude, "conversation": _step_conversation, "confirm": _step_confirm}


async def submit_form(turn: Turn, match: Match) -> None:
    """The Adaptive Card form's submit: {"intent": "ReportSubmit", what, when, where, ...}."""
    if _private_only(turn):
        return
    if turn.flow and turn.flow.get("name") == FLOW:
        turn.lang = turn.flow.get("data", {}).get("lang", turn.lang)
    draft = _draft(turn)
    if draft is None or "municipality" not in draft:
        if turn.flow and turn.flow.get("name") == FLOW:
            turn.end_flow()  # never another area's flow: an old form was clicked
        turn.say(R, "draft_expired")
        return
    value = turn.value or {}
    policy = _svc(turn).policies.get(draft["municipality"])
    anonymous = str(value.get("anonymous", "yes" if policy.anonymous_allowed else "no")) == "yes"
    where = str(value.get("where") or "other")
    try:
        await _submit(turn, Draft(municipality=policy.municipality, anonymous=anonymous,
                                  what=clean_text(value.get("what"), "what"),
                                  when=clean_text(value.get("when"), "when", required=False),
                                  where=where if where in WHERE else "other",
                                  exclude=str(value.get("exclude") or "").lower(),
                                  wants_conversation=str(value.get("conversation")) == "yes"))
    except ReportInputError as err:
        turn.say(R, err.key, **err.variables)  # the flow and the card's values stay as they are


async def _submit(turn: Turn, draft: Draft) -> None:
    reporter = None if draft.anonymous else Reporter(turn.user.aad_id, turn.user.name, turn.user.id)
    receipt = await _svc(turn).submit(draft, reporter, turn.now)
    _discard(turn)
    turn.reply(turn.t(R, "submitted", ref=receipt.ref, code=receipt.code, municipality=receipt.municipality,
                      ack_due=_day(turn, receipt.ack_due), feedback_due=_day(turn, receipt.feedback_due),
                      anonymous=draft.anonymous))


# ---- the reporter: follow up with reference and code -----------------------------------------------
async def follow_up(turn: Turn, match: Match) -> None:
    if _private_only(turn):
        return
    value = turn.value or {}
    ref = normalize_ref(str(value.get("ref") or "")) or normalize_ref(turn.text)
    code = find_code(str(value.get("code") or "")) or find_code(turn.text)
    if not ref or not code:
        turn.reply(turn.t(R, "followup_ask"), card=_followup_form(turn))
        return
    try:
        view = await _svc(turn).follow_up(ref, code, turn.now)
    except FollowUpRefused:
        turn.say(R, "followup_refused")
        return
    body: list[dict] = [
        cards.text(turn.t(R, "followup_title", ref=view.ref), weight="Bolder", size="Medium"),
        cards.facts([(turn.t(R, "fact_municipality"), view.municipality),
                     (turn.t(R, "fact_status"), _status_label(turn, view.status)),
                     (turn.t(R, "fact_created"), _day(turn, view.created_on))]),
    ]
    body += _messages(turn, view.messages) or [cards.text(turn.t(R, "no_messages"), subtle=True)]
    actions = []
    if view.status != "closed":
        body.append({"type": "Input.Text", "id": "text", "label": turn.t(R, "followup_add_label"),
                     "isMultiline": True, "maxLength": LIMITS["info"]})
        actions.append(cards.submit(turn.t(R, "followup_add_submit"),
                                    {"intent": "ReportAddInfo", "ref": view.ref, "code": code}))
    turn.reply(turn.t(R, "followup_shown"), card=cards.card(body, actions))


def _followup_form(turn: Turn) -> dict:
    return cards.card([
        {"type": "Input.Text", "id": "ref", "label": turn.t(R, "followup_ref_label"), "maxLength": 16},
        {"type": "Input.Text", "id": "code", "label": turn.t(R, "followup_code_label"), "maxLength": 32,
         "style": "Password"},
    ], [cards.submit(turn.t(R, "followup_submit"), {"intent": "ReportFollowUp"})])


async def add_information(turn: Turn, match: Match) -> None:
    if _private_only(turn):
        return
    value = turn.value or {}
    ref = normalize_ref(str(value.get("ref") or ""))
    code = find_code(str(value.get("code") or "")) or ""
    try:
        await _svc(turn).add_information(ref, code, str(value.get("text") or ""), turn.now)
    except FollowUpRefused:
        turn.say(R, "followup_refused")
    except ReportInputError as err:
        turn.say(R, err.key, **err.variables)
    else:
        turn.say(R, "information_added")


def _messages(turn: Turn, messages) -> list[dict]:  # type: ignore[no-untyped-def]
    out: list[dict] = []
    for m in messages:
        who = turn.t(R, "author_reporter") if m.author_kind == "reporter" else m.author
        label = turn.t(R, f"message_{m.kind}", who=who, day=_day(turn, m.day),
                       status=_status_label(turn, m.status) if m.status else "")
        out += [cards.text(label, weight="Bolder", subtle=True), _run(m.text)]
    return out


# ---- the recipients -------------------------------------------------------------------------------
def _recipient_private(turn: Turn) -> bool:
    if turn.conversation.is_personal:
        return False
    turn.say(R, "private_only_recipient")
    return True


async def list_reports(turn: Turn, match: Match) -> None:
    if _recipient_private(turn):
        return
    cases = await _svc(turn).list_cases(turn.user.aad_id, turn.now)
    if not cases:
        turn.say(R, "list_empty")
        return
    body: list[dict] = [cards.text(turn.t(R, "list_title", count=len(cases)), weight="Bolder", size="Medium")]
    actions = []
    for case in cases[:20]:
        body.append(cards.text(turn.t(R, "list_item", ref=case.ref, municipality=case.municipality,
                                      status=_status_label(turn, case.status), created=_day(turn, case.created_on),
                                      ack_due=_day(turn, case.ack_due), feedback_due=_day(turn, case.feedback_due))))
        actions.append(cards.submit(turn.t(R, "open_button", ref=case.ref), {"intent": "ReportOpen", "ref": case.ref}))
    turn.reply(card=cards.card(body, actions[:6]))


async def open_report(turn: Turn, match: Match) -> None:
    if _recipient_private(turn):
        return
    ref = normalize_ref(str((turn.value or {}).get("ref") or "")) or normalize_ref(turn.text)
    if not ref:
        turn.say(R, "open_needs_ref")
        return
    try:
        view = await _svc(turn).open_case(turn.user.aad_id, ref, turn.now)
    except ReportNotFound:
        turn.say(R, "not_found")
        return
    turn.reply(card=_case_card(turn, view))


def _case_card(turn: Turn, view) -> dict:  # type: ignore[no-untyped-def]
    t = lambda key, **v: turn.t(R, key, **v)  # noqa: E731
    s = view.summary
    reporter = t("reporter_anonymous") if s.anonymous else _plain((view.reporter or {}).get("name") or "") or t("reporter_named")
    pairs = [(t("fact_municipality"), s.municipality), (t("fact_status"), _status_label(turn, s.status)),
             (t("fact_created"), _day(turn, s.created_on)), (t("fact_ack_due"), _day(turn, s.ack_due)),
             (t("fact_feedback_due"), _day(turn, s.feedback_due)), (t("fact_reporter"), reporter),
             (t("fact_where"), _where_label(turn, view.where)),
             (t("fact_conversation"), t("answer_yes" if view.wants_conversation else "answer_no")),
             (t("fact_recipients"), ", ".join(f"{p['name']} ({t('role_' + p['role'])})" for p in view.recipients))]
    if view.excluded:
        pairs.append((t("fact_excluded"), f"{view.excluded['name']} ({t('role_' + view.excluded['role'])})"))
    body: list[dict] = [cards.text(t("case_title", ref=s.ref), weight="Bolder", size="Medium"), cards.facts(pairs),
                        cards.text(t("fact_when"), weight="Bolder"), _run(view.when or "–"),
                        cards.text(t("fact_what"), weight="Bolder"), _run(view.what)]
    body += _messages(turn, view.messages)
    actions: list[dict] = []
    nexts = [n for n in TRANSITIONS.get(s.status, ()) if n != "acknowledged"]
    if s.status == "received":
        actions.append(cards.submit(t("ack_button"), {"intent": "ReportAct", "action": "acknowledge", "ref": s.ref}))
    if s.status != "closed":
        body.append({"type": "Input.Text", "id": "text", "label": t("reply_label"), "isMultiline": True,
                     "maxLength": LIMITS["reply"]})
        actions.append(cards.submit(t("reply_button"), {"intent": "ReportAct", "action": "reply", "ref": s.ref}))
    policy = _svc(turn).policies.get(s.municipality)
    have = {p["aad_id"] for p in view.recipients} | {(view.excluded or {}).get("aad_id")}
    newcomers = [r for r in (policy.recipients if policy else ()) if r.aad_id not in have]
    if newcomers and s.status != "closed":  # recipients added to the policy after the report was made
        body.append({"type": "Input.ChoiceSet", "id": "grant_to", "label": t("grant_label"), "value": "",
                     "choices": [{"title": f"{r.name} ({t('role_' + r.role)})", "value": r.aad_id} for r in newcomers]})
        actions.append(cards.submit(t("grant_button"), {"intent": "ReportAct", "action": "grant", "ref": s.ref}))
    if nexts:
        body += [{"type": "Input.ChoiceSet", "id": "status", "label": t("status_label"), "value": nexts[0],
                  "choices": [{"title": _status_label(turn, n), "value": n} for n in nexts]},
                 {"type": "Input.Text", "id": "reason", "label": t("reason_label"), "isMultiline": True,
                  "maxLength": LIMITS["reason"]}]
        actions.append(cards.submit(t("status_button"), {"intent": "ReportAct", "action": "status", "ref": s.ref}))
    return cards.card(body, actions)


async def act(turn: Turn, match: Match) -> None:
    """A recipient's card action: acknowledge, reply or move the status (with a reason where needed)."""
    if _recipient_private(turn):
        return
    value = turn.value or {}
    ref, action, svc, who = normalize_ref(str(value.get("ref") or "")), value.get("action"), _svc(turn), turn.user.aad_id
    try:
        if action == "acknowledge":
            await svc.acknowledge(who, ref, turn.now)
            turn.say(R, "acknowledged", ref=ref)
        elif action == "reply":
            await svc.reply(who, ref, str(value.get("text") or ""), turn.now)
            turn.say(R, "replied", ref=ref)
        elif action == "status":
            status = str(value.get("status") or "")
            if status not in TRANSITIONS:
                raise ReportInputError("bad_status")
            await svc.set_status(who, ref, status, str(value.get("reason") or ""), turn.now)
            turn.say(R, "status_changed", ref=ref, status=_status_label(turn, status))
        elif action == "grant":
            person = await svc.grant(who, ref, str(value.get("grant_to") or ""), turn.now)
            turn.say(R, "granted", ref=ref, name=person["name"])
        else:
            turn.say(R, "bad_status")
    except ReportNotFound:
        turn.say(R, "not_found")
    except ReportInputError as err:
        variables = dict(err.variables)
        for k in ("current", "target"):
            if k in variables:
                variables[k] = _status_label(turn, str(variables[k]))
        turn.say(R, err.key, **variables)


async def verify_audit(turn: Turn, match: Match) -> None:
    if _recipient_private(turn):
        return
    try:
        result = await _svc(turn).verify_audit(turn.user.aad_id, turn.now)
    except ReportNotFound:
        turn.say(R, "audit_not_allowed")
        return
    turn.say(R, "audit_ok" if result.ok else "audit_broken", entries=result.entries, broken_at=result.broken_at)


HANDLERS = {
    "ReportStart": start,
    "ReportSubmit": submit_form,
    "ReportFollowUp": follow_up,
    "ReportAddInfo": add_information,
    "ReportList": list_reports,
    "ReportOpen": open_report,
    "ReportAct": act,
    "ReportAudit": verify_audit,
}
FLOWS = {FLOW: flow_step}
