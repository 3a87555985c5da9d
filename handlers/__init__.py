"""Translate activities to service calls. HANDLERS maps intent names to handlers; FLOWS maps flow names
to the function that continues a multi-turn flow."""
from __future__ import annotations

from handlers import contact, facts, general, question

HANDLERS = {
    "Welcome": general.welcome,
    "Help": general.show_help,
    "Cancel": general.cancel,
    "Fallback": general.fallback,
    "Question": question.answer,
    "ContactFind": contact.find,
    "ContactHandover": contact.start_handover,
    "ContactHandoverStatus": contact.handover_status,
}

FLOWS: dict = {}
FLOWS["contact_handover"] = contact.handover_step

# Free-question answerers (handlers.question picks the best candidate).
question.ANSWERERS.append(facts.answer)
question.ANSWERERS.append(contact.answer)

from handlers import report  # noqa: E402  (confidential sexism reports, issue 6)

HANDLERS.update(report.HANDLERS)
FLOWS.update(report.FLOWS)

from handlers import budget  # noqa: E402  (table/budget answers, issue 3)

question.ANSWERERS.append(budget.answer)

from handlers import agenda  # noqa: E402  (passenger-council agenda items, issue 7)

HANDLERS.update(agenda.HANDLERS)
