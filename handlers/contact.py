"""Finding a contact person (intent ContactFind and free questions about a person or role), the contact
card, and handing the user's question over to a contact after an explicit yes (flow "contact_handover").
"""
from __future__ import annotations

import logging
import re
import uuid

from bot.recognizer import Match
from bot.turn import Turn
from handlers import cards
from handlers.question import Candidate
from services import handover as handovers
from services.contacts import ContactMatch, Directory, Lookup
from services.municipalities import fold

log = logging.getLogger(__name__)

INTENT = "ContactFind"
FLOW = "contact_handover"
STATE_KEY = "contact"  # the last contacts shown and the question, for a typed "send det videre"
MAX_SHOWN = 3
_YES = {"ja", "jo", "jep", "jeps", "yes", "y", "yep", "yeah", "ok", "okay", "sure", "gerne", "send", "absolut"}
_NO = {"nej", "no", "nope", "nah", "aldrig", "ikke", "not", "dont", "lad", "never", "annuller", "cancel"}
_DETAILS = ("email", "phone", "address")
_WHICH = re.compile(r"\b(hvilken|hvilket|hvilke|which|hvor(?! (mange|meget|stor|store|langt|laenge|ofte)\b))\b")
# A count or an amount ("hvor mange ansatte har sundhedssekretariatet?") is not a question about whom to contact.
_COUNT = re.compile(r"\b(hvor mange|hvor meget|how many|how much|antal(let)?|number of)\b")
# What a person earns, their age or party: the directory holds names, roles and ways to reach them, not that,
# so a role or a name in such a question does not make it a who-question ("hvad er lønnen for en KKR-formand?").
_PERSON_FACT = re.compile(
    r"\b(l(o|oe)n(nen|ninger|ningen)?|tjener|tjente|vederlag(et)?|honorar(et)?|diaet(er|erne)?|salary|salaries|"
    r"wage|wages|earns?|earnings|paid|remuneration|gammel|alder(en)?|age|old|foedt|fodt|born|parti(et)?|party)\b")
# "hvem står bag sexismen?": the people behind an act (the survey's answer), not someone to contact about it.
_BEHIND = re.compile(r"\b(staar|star|staa|sta) bag\b|\b(is|are|was|were) behind\b|\bbehind (the|it|this)\b|"
                     r"\b(udoever|udover|udoevede|udovede|begaar|begar|commits?|committed|perpetrat\w*)\b")
# A role word the routing understands in both languages, remembered for follow-ups ("og i Aalborg?").
_ROLE_WORD = {"chair": "formand", "vice_chair": "næstformand", "mayor": "borgmester", "director": "direktør",
              "coordinator": "koordinator", "signatory": "underskriver", "representative": "repræsentant"}
_WHO_IS = re.compile(
    r"\b(hvem|who)('s| er| var| is| was| are| were| bliver| chairs| leads| heads| signed| signs| skrev| skriver"
    r"| underskrev| underskriver| sidder| holds| represents| repraesenterer)\b"
    r"|\b(hvem er det|hvem er hun|hvem er han|who is it|who is that|who's that)\b"
    r"|^(name|navnet pa|navn pa|hvad hedder|what is the name)\b"
    r"|\b(hvem|who) (leder|leads|heads|runs|styrer|skal|should|kan|can)\b"
    r"|^(hvilken|hvilket|which) (borgmester|formand|naestformand|mayor|chair|minister|direktor|director)")

_NAME_ASKED = re.compile(r"\b(hedder|navn|navnet|name|called)\b")
# A question about what, when, why or how (not whom); "hvad hedder ..." asks for a name (_NAME_ASKED).
_CONTENT_QUESTION = re.compile(r"^\W*(hvad|hvornaa?r|hvorfor|hvordan|hvor mange|what|when|why|how)\b")

# What a letter or a document says, asks, proposes or wants ("what did KKR write to the minister of
# employment?", "hvad beder kommunerne om i brevet til Astrid Krag?", "which proposals does the letter make?"):
# a question about content that names a person or a role, not about whom to contact. The knowledge base answers.
_CONTENT_OF = re.compile(
    r"^\W*(hvad|what|hvilke[nt]?|which)\b.*\b(skriv\w*|skrev|wrote|writes?|written|siger|sagde|says?|said|"
    r"(staa?r|stod) (der|i)|beder|bad|asks?|asked|request\w*|foresla\w*|foreslaa\w*|forslag\w*|propos\w*|anbefal\w*|"
    r"recommend\w*|kraev\w*|krav(et|ene)?|demand\w*|oe?nsk\w*|wants?|wanted|indehold\w*|contain\w*|handler|"
    r"opfordr\w*|urges?|urged|mener|meant|argue\w*|points?|budskab\w*|message|content\w*|indhold\w*)\b")


def directory(turn: Turn) -> Directory | None:
    return getattr(turn.services, "contacts", None)


# ----------------------------------------------------------------------------------------- entry points
async def find(turn: Turn, match: Match) -> None:
    """Intent ContactFind: "hvem skal jeg kontakte om frikommuneforsøg?"."""
    d = directory(turn)
    if d is None:
        turn.say(INTENT, "no_directory")
        return
    query = (match.slots.get("contact_query") or "").strip()
    if not query:
        turn.say(INTENT, "no_match")
        return
    await respond(turn, d.lookup(query, turn.lang), turn.text)


async def answer(turn: Turn, question: str) -> Candidate | None:
    """Answerer for free questions about a person, a role or how to reach someone."""
    d = directory(turn)
    if d is None or not question.strip():
        return None
    lk = d.lookup(question, turn.lang)
    score = confidence(d, lk, question)
    if score is None:
        lk, score = _follow_up(turn, d, lk, question)
    if score is None:
        return None

    async def emit() -> None:
        await respond(turn, lk, question)

    return Candidate(score, emit, source="contact")


def _follow_up(turn: Turn, d: Directory, lk: Lookup, question: str) -> tuple[Lookup, float | None]:
    """ "og i Aalborg?" / "and Læsø?" right after "hvem er borgmester i Thisted?": the same role, another place."""
    last = (turn.state.get(STATE_KEY) or {}).get("role")
    words = question.split()
    if not last or len(words) > 5 or lk.roles or lk.people or not lk.orgs:
        return lk, None
    again = d.lookup(f"{last} {question}", turn.lang)
    return (again, 0.6) if again.role_found else (lk, None)


def confidence(d: Directory, lk: Lookup, question: str) -> float | None:
    """How sure we are that the question is about whom to contact (see handlers.question's scale)."""
    if not lk.matches:
        return None
    folded = fold(question)
    details = lk.asks & set(_DETAILS)
    wants_contact = bool(lk.contact_words or details)
    if not wants_contact and (_COUNT.search(folded) or _PERSON_FACT.search(folded)):
        return None  # the knowledge base answers (or says it does not know); a contact card would mislead
    name_asked = bool(_NAME_ASKED.search(folded))
    if _CONTENT_OF.search(folded) and not wants_contact and not (_WHO_IS.search(folded) or name_asked):
        return None
    if _BEHIND.search(folded) and lk.topics and not (lk.people or lk.orgs or lk.roles or lk.contact_words):
        return None
    place = "location" in lk.asks or ("secretariat" in lk.asks and (lk.who or _WHICH.search(folded)))
    if lk.role_found:
        # "Hvem er formand for KKR?", "Thisteds borgmester – hvem er det?", "Hjørring borgmester": yes.
        # "Can a Passagerråd meet without the KKR representative?", "who drafts the agenda with the chair?": a
        # question about a process that mentions a role; the knowledge base should answer it.
        if _WHO_IS.search(folded) or wants_contact:
            return 0.95
        # A short phrase names whom it wants ("Hjørring borgmester", "mayor of Læsø"); a short question that
        # opens with another question word asks about something else ("hvad svarede ministeren KKR?",
        # "when was the resultatkontrakt signed?"), unless it asks for a name ("hvad hedder ...").
        short = len(question.split()) <= 5 and (name_asked or not _CONTENT_QUESTION.search(folded))
        return 0.93 if short else 0.4
    if details and (lk.people or lk.orgs):
        # The detail is in the directory (directly or through the organisation's contact person): exact.
        target = d.match_for(lk.people[0] if lk.people else lk.orgs[0])
        via = [] if lk.people else d.people_of(lk.orgs[0])
        have = target is not None and all(getattr(target, a) or any(getattr(p, a) for p in via) for a in details)
        return 0.96 if have else 0.92
    if place and lk.orgs:
        return 0.93 if any(d.orgs[o].location or d.orgs[o].secretariat for o in lk.orgs) else 0.6
    if lk.people:
        short = len(question.split()) <= 4
        return 0.9 if (lk.who or lk.contact_words or short) else 0.45
    if lk.contact_words:
        return 0.85
    if lk.who and (lk.topics or lk.orgs):
        return 0.4
    return None


# ----------------------------------------------------------------------------------------- answering
async def respond(turn: Turn, lk: Lookup, question: str) -> None:
    d = directory(turn)
    assert d is not None
    role_word = _ROLE_WORD.get((lk.roles or [""])[0], "") if lk.role_found else ""
    if not lk.matches:
        turn.say(INTENT, "no_match")
        return
    top = lk.matches[0]
    # An e-mail or phone asked for: the detail, even when the organisation's name has "sekretariat" in it.
    place = "location" in lk.asks or ("secretariat" in lk.asks and not lk.asks & set(_DETAILS) and (
        lk.who or not lk.roles or bool(_WHICH.search(fold(question)))))
    if top.kind == "unfilled" and (top.placeholder or lk.role_found):
        _unfilled(turn, d, top, question)
    elif place and lk.orgs and not lk.role_found:
        _place(turn, d, lk, question)
    elif lk.asks & set(_DETAILS) and (lk.people or lk.orgs):
        _detail(turn, d, lk, question)
    elif lk.all_mayors:
        mayors = [{"name": m.name, "organisation": m.organisation} for m in d.holders("mayor", turn.lang)]
        turn.reply(turn.t(INTENT, "all_mayors", mayors=sorted(mayors, key=lambda m: m["organisation"])))
    else:
        _contacts(turn, d, lk, question)
    remembered = turn.state.get(STATE_KEY)
    if isinstance(remembered, dict):
        remembered["role"] = role_word


def _choose(lk: Lookup) -> list[ContactMatch]:
    real = [m for m in lk.matches if m.is_real]
    if not real:
        return []
    top = real[0]
    strong = any(kind in ("role", "name") for kind, _ in top.why) and top.score >= 0.79
    margin = 0.05 if strong else 0.15
    return [m for m in real if m.score >= top.score - margin][:MAX_SHOWN]


def _contacts(turn: Turn, d: Directory, lk: Lookup, question: str) -> None:
    shown = _choose(lk)
    if not shown:
        turn.say(INTENT, "no_match")
        return
    names = [m for m in shown if any(kind == "name" for kind, _ in m.why)]
    if len(shown) == 1:
        text = _one_line(turn, d, shown[0])
    else:
        lead = "ambiguous_name" if len(names) > 1 else "several"
        text = "\n".join([turn.t(INTENT, lead)] + [f"• {_one_line(turn, d, m)} – {_why(turn, m)}" for m in shown])
    notes = {m.topic_note for m in shown if m.topic_note}
    if notes:  # the topic's own advice first ("go to your mayor and/or municipal director"), then who
        text = "\n".join(sorted(notes)) + "\n\n" + text
    _remember(turn, shown, question)
    offer = [m for m in shown if m.can_receive]
    if offer:
        text += "\n\n" + turn.t(INTENT, "handover_offer", name=offer[0].name)
    turn.reply(text, card=contact_card(turn, d, shown, question))


def _one_line(turn: Turn, d: Directory, m: ContactMatch) -> str:
    source = d.source(m.lines, turn.lang)
    lines = m.lines.split(",")[0].strip() if m.lines else ""
    if m.kind == "organisation":
        return turn.t(INTENT, "one_org", name=m.name, description=m.description, source=source, lines=lines)
    return turn.t(INTENT, "one", name=m.name, role=m.role, organisation=m.organisation, source=source,
                  lines=lines)


def _why(turn: Turn, m: ContactMatch) -> str:
    return "; ".join(turn.t(INTENT, f"why_{kind}", label=label) for kind, label in m.why
                     if kind in ("name", "role", "organisation", "topic") and label)


def _unfilled(turn: Turn, d: Directory, top: ContactMatch, question: str) -> None:
    if top.placeholder:
        text = turn.t(INTENT, "placeholder", title=_cap(top.name), printed=", ".join(f'"{p}"' for p in top.placeholder),
                      lines=top.lines)
    elif top.name:
        text = turn.t(INTENT, "not_named_titled", title=_lower_first(top.name), lines=top.lines)
    else:
        text = turn.t(INTENT, "not_named", role=top.asked_role or turn.t(INTENT, f"role_{top.role}"),
                      organisation=top.organisation,
                      lines=top.lines)
    nearest = [m for m in top.nearest if m.is_real][:2]
    if nearest:
        text += "\n" + turn.t(INTENT, "nearest") + " " + "; ".join(_one_line(turn, d, m) for m in nearest)
        _remember(turn, nearest, question)
        turn.reply(text, card=contact_card(turn, d, nearest, question))
    else:
        turn.reply(text)


def _place(turn: Turn, d: Directory, lk: Lookup, question: str) -> None:
    orgs = [d.orgs[o] for o in lk.orgs]
    org = next((o for o in orgs if o.secretariat and "secretariat" in lk.asks), None) \
        or next((o for o in orgs if o.location), None) or next((o for o in orgs if o.secretariat), None)
    if org is None:
        first = orgs[0]
        m = d.match_for(first.id, turn.lang)
        turn.reply(turn.t(INTENT, "detail_missing", what=turn.t(INTENT, "what_location"), name=m.name if m else ""),
                   card=contact_card(turn, d, [m], question) if m else None)
        return
    info = org.secretariat if ("secretariat" in lk.asks and org.secretariat) else (org.location or org.secretariat)
    lines = info.get("lines", org.lines)
    text = turn.t(INTENT, "detail_location", value=info.get(turn.lang) or info["da"],
                  source=d.source(lines, turn.lang), lines=lines)
    m = d.match_for(org.id, turn.lang)
    turn.reply(text, card=contact_card(turn, d, [m], question) if m else None)


def _detail(turn: Turn, d: Directory, lk: Lookup, question: str) -> None:
    """E-mail, phone or address: the person's own, or for an organisation, its contact person's."""
    target = d.match_for(lk.people[0], turn.lang) if lk.people else d.match_for(lk.orgs[0], turn.lang)
    if target is None:
        turn.say(INTENT, "no_match")
        return
    via = [] if lk.people else d.people_of(lk.orgs[0], turn.lang)
    parts, missing, shown = [], [], [target]
    for ask in [a for a in _DETAILS if a in lk.asks]:
        holder = target if getattr(target, ask) else next((p for p in via if getattr(p, ask)), None)
        if holder is None:
            missing.append(ask)
            continue
        lines = holder.lines.split(",")[-1].strip() if holder.lines else ""
        value, source = _display(ask, getattr(holder, ask)), d.source(lines, turn.lang)
        if holder is target:
            parts.append(turn.t(INTENT, f"detail_{ask}", name=target.name, value=value, source=source, lines=lines))
        else:
            parts.append(turn.t(INTENT, "detail_via", org=target.name, name=holder.name, role=holder.role,
                                label=turn.t(INTENT, f"{ask}_label"), value=value, source=source, lines=lines))
            if holder not in shown:
                shown.insert(0, holder)
    for ask in missing:
        parts.append(turn.t(INTENT, "detail_missing", what=turn.t(INTENT, f"what_{ask}"), name=target.name))
    if missing and len(shown) == 1:
        others = [m for m in via + [m for m in lk.matches if m.is_real]
                  if m.id != target.id and (m.email or m.phone or m.address)]
        others = list({m.id: m for m in others}.values())
        if others:
            parts.append(turn.t(INTENT, "instead") + " " + "; ".join(
                f"{_one_line(turn, d, m)} {_contact_bits(turn, m)}" for m in others[:2]))
            shown = others[:2] + ([target] if not (target.email or target.phone) else [])
        elif via:
            # Nobody there has the detail either ("telefonnummeret til KKR-sekretariatet"): the organisation's
            # nearest real people, so the user still has somewhere to turn.
            parts.append(turn.t(INTENT, "nearest") + " " + "; ".join(_one_line(turn, d, m) for m in via[:2]))
            shown = via[:2] + [target]
    _remember(turn, shown, question)
    turn.reply("\n".join(parts), card=contact_card(turn, d, shown, question))


def _contact_bits(turn: Turn, m: ContactMatch) -> str:
    bits = [f"{turn.t(INTENT, 'email_label')}: {m.email}" if m.email else "",
            f"{turn.t(INTENT, 'phone_label')}: {_display('phone', m.phone)}" if m.phone else "",
            f"{turn.t(INTENT, 'address_label')}: {m.address}" if m.address else ""]
    return "(" + ", ".join(b for b in bits if b) + ")"


def _display(kind: str, value: str) -> str:
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        if len(digits) == 8:
            return " ".join(digits[i:i + 2] for i in range(0, 8, 2))
    return value


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    return text if text[:3].isupper() or "'" in text[:5] else text[:1].lower() + text[1:]


def _remember(turn: Turn, shown: list[ContactMatch], question: str, role: str = "") -> None:
    turn.state[STATE_KEY] = {"ids": [m.id for m in shown][:MAX_SHOWN], "question": question[:handovers.MAX_QUESTION],
                             "why": {m.id: _why(turn, m) for m in shown}, "role": role}


# ----------------------------------------------------------------------------------------- the card
def contact_card(turn: Turn, d: Directory, shown: list[ContactMatch], question: str) -> dict:
    t = lambda key, **kw: turn.t(INTENT, key, **kw)  # noqa: E731
    body: list[dict] = []
    for i, m in enumerate(shown):
        items: list[dict] = [cards.text(m.name, weight="Bolder", size="Medium")]
        if m.kind == "person":
            items.append(cards.text(m.role if m.organisation in m.role else f"{m.role} · {m.organisation}",
                                    subtle=True))
        elif m.description:
            items.append(cards.text(m.description, subtle=True))
        why = _why(turn, m)
        facts = [(t("why_label"), why)] if why else []
        if m.email:
            facts.append((t("email_label"), m.email))
        if m.phone:
            facts.append((t("phone_label"), _display("phone", m.phone)))
        if m.address:
            facts.append((t("address_label"), m.address))
        if m.web:
            facts.append((t("web_label"), m.web))
        if m.lines:
            facts.append((t("source_label"), t("source_value", source=d.source(m.lines, turn.lang), lines=m.lines)))
        if facts:
            items.append(cards.facts(facts))
        if m.note:
            items.append(cards.text(m.note, subtle=True))
        body.append({"type": "Container", "items": items, "separator": i > 0, "spacing": "Medium" if i else "None"})
        actions = []
        if m.email:
            actions.append(cards.open_url(t("button_email"), f"mailto:{m.email}"))
        if m.phone:
            actions.append(cards.open_url(t("button_call"), "tel:+45" + re.sub(r"\D", "", m.phone)[-8:]))
        if m.can_receive and question:
            actions.append(cards.submit(t("button_handover"), {"intent": "ContactHandover", "contact": m.id,
                                                                "question": question[:500], "why": why}))
        if actions:
            body.append({"type": "ActionSet", "actions": actions})
    return cards.card(body)


# ----------------------------------------------------------------------------------------- hand-over
async def start_handover(turn: Turn, match: Match) -> None:
    """A "Send mit spørgsmål videre" button, or typed "send det videre [til X]": ask for consent first."""
    d = directory(turn)
    if d is None:
        turn.say(INTENT, "no_directory")
        return
    value = turn.value or {}
    last = turn.state.get(STATE_KEY) or {}
    contact_id = value.get("contact") if isinstance(value.get("contact"), str) else None
    question = value.get("question") if isinstance(value.get("question"), str) else None
    why = value.get("why") if isinstance(value.get("why"), str) else ""
    if contact_id is None:
        query = (match.slots.get("contact_query") or "").strip()
        candidates = [m for m in d.route(query, turn.lang) if m.is_real] if query else \
            [m for m in (d.match_for(i, turn.lang) for i in last.get("ids", [])) if m is not None]
        chosen = next((m for m in candidates if m.can_receive), candidates[0] if candidates else None)
        if chosen is None:
            turn.say(INTENT, "handover_nothing")
            return
        contact_id, question = chosen.id, last.get("question")
        why = (last.get("why") or {}).get(contact_id, "")
    contact = d.match_for(contact_id, turn.lang)
    if contact is None:
        turn.say(INTENT, "handover_nothing")
        return
    if not contact.can_receive:
        alternative = next((m for m in (d.match_for(i, turn.lang) for i in last.get("ids", []))
                            if m is not None and m.can_receive), None)
        turn.say(INTENT, "handover_no_address", name=contact.name,
                 alternative=f"{alternative.name} ({alternative.email})" if alternative else "")
        return
    data = {"contact": contact.id, "question": (question or "").strip()[:handovers.MAX_QUESTION], "why": why,
            "token": uuid.uuid4().hex, "user": _requester(turn)}
    if not data["question"]:
        turn.start_flow(FLOW, "question", data)
        turn.say(INTENT, "handover_no_question", name=contact.name)
        return
    turn.start_flow(FLOW, "confirm", data)
    _ask_consent(turn, contact, data)


def _requester(turn: Turn) -> str:
    return turn.user.aad_id or turn.user.id


def _ask_consent(turn: Turn, contact: ContactMatch, data: dict) -> None:
    turn.reply(turn.t(INTENT, "handover_confirm", name=contact.name, email=contact.email or contact.name,
                      question=data["question"], user=turn.user.name or turn.user.id,
                      context=_context(turn, data, turn.lang)),
               suggestions=[turn.t(INTENT, "handover_yes"), turn.t(INTENT, "handover_no")])


def _context(turn: Turn, data: dict, lang: str) -> str:
    if data.get("why"):
        return turn.renderer.render(INTENT, "context_topic", lang, why=data["why"])
    return turn.renderer.render(INTENT, "context_none", lang)


def yes_no(text: str) -> bool | None:
    words = re.findall(r"[a-z]+", fold(text or "").replace("'", ""))
    if not words:
        return None
    if words[0] in _NO or any(w in _NO for w in words):
        return False
    if words[0] in _YES:
        return True
    return None


async def handover_step(turn: Turn) -> None:
    """FLOWS["contact_handover"]: take the question (if missing), then an explicit yes, then record it."""
    d = directory(turn)
    flow = turn.flow or {}
    data = dict(flow.get("data") or {})
    if data.get("user") and data["user"] != _requester(turn):
        # In a group chat only the asker can consent; anyone else's message is an ordinary question.
        from handlers import question as free_questions

        await free_questions.answer(turn, Match("Question", turn.lang, {"text": turn.text}))
        return
    contact = d.match_for(data.get("contact", ""), turn.lang) if d else None
    if contact is None or not contact.can_receive:
        turn.end_flow()
        turn.say(INTENT, "handover_nothing")
        return
    if flow.get("step") == "question":
        question = (turn.text or "").strip()[:handovers.MAX_QUESTION]
        if not question:
            turn.say(INTENT, "handover_no_question", name=contact.name)
            return
        data["question"] = question
        turn.start_flow(FLOW, "confirm", data)
        _ask_consent(turn, contact, data)
        return
    decision = yes_no(turn.text)
    turn.end_flow()
    if decision is not True:
        turn.say(INTENT, "handover_declined" if decision is False else "handover_unclear")
        return
    requester = _requester(turn)
    record, created = await handovers.record(
        turn.services.db, key=f"{turn.conversation.id}:{data['token']}", contact_id=contact.id,
        contact_name=contact.name, contact_email=contact.email, contact_aad_id=contact.aad_id,
        requester_id=requester, requester_name=turn.user.name or "", question=data["question"],
        context=_context(turn, data, "da"), lang=turn.lang, notice_lang="da", now=turn.now)
    if created:
        log.info("contact hand-over recorded id=%s contact=%s", record.id, contact.id)
        turn.say(INTENT, "handover_sent", name=contact.name)
    else:
        status = await handovers.status_of(turn.services.db, record.id)
        turn.say(INTENT, "handover_duplicate", name=contact.name, status=turn.t(INTENT, f"status_{status}"))


async def handover_status(turn: Turn, match: Match) -> None:
    """Intent ContactHandoverStatus: the user's own hand-overs and whether they have been delivered."""
    rows = await handovers.mine(turn.services.db, _requester(turn))
    if not rows:
        turn.say(INTENT, "status_none")
        return
    lines = [turn.t(INTENT, "status_title")]
    for row in rows:
        question = row.question if len(row.question) <= 80 else row.question[:77] + "..."
        lines.append(turn.t(INTENT, "status_line", when=row.created_at.strftime("%d.%m.%Y %H:%M"),
                            name=row.contact_name, question=question, status=turn.t(INTENT, f"status_{row.status}")))
    turn.reply("\n".join(lines))
