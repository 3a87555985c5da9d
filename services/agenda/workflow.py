"""The agenda item state machine as data: which action moves which state, and who may do it."""
from __future__ import annotations

from dataclasses import dataclass

from services.errors import DomainError

STATES = ("draft", "submitted", "needs_changes", "accepted", "declined", "deferred", "withdrawn", "on_agenda",
          "treated", "awaiting_feedback", "feedback_given", "closed")
BEFORE_PUBLICATION = ("draft", "submitted", "needs_changes", "accepted", "deferred")
REVIEWERS = frozenset({"secretariat", "chairperson"})  # Passagerpulsen drafts the agenda with the chairperson
GROUP = frozenset({"submitter", "member", "responsible", "secretariat", "chairperson"})
RELATIONS = ("submitter", "member", "responsible", "secretariat", "chairperson", "public")


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str | None  # None: the state stays (edit, comment)
    who: frozenset[str]
    needs_reason: bool = False


RULES: dict[str, Rule] = {
    "edit": Rule(("draft", "needs_changes"), None, frozenset({"submitter"})),
    "submit": Rule(("draft", "needs_changes"), "submitted", frozenset({"submitter"})),
    "request_changes": Rule(("submitted",), "needs_changes", REVIEWERS, needs_reason=True),
    "accept": Rule(("submitted", "deferred"), "accepted", REVIEWERS),
    "decline": Rule(("submitted", "deferred"), "declined", REVIEWERS, needs_reason=True),
    "defer": Rule(("submitted", "accepted", "on_agenda"), "deferred", REVIEWERS),
    "withdraw": Rule(BEFORE_PUBLICATION, "withdrawn", frozenset({"submitter"})),
    "comment": Rule(("accepted",), None, GROUP),
    "record_outcome": Rule(("on_agenda",), "treated", REVIEWERS),
    "request_feedback": Rule(("treated",), "awaiting_feedback", REVIEWERS),
    "give_feedback": Rule(("awaiting_feedback",), "feedback_given", frozenset({"responsible", "secretariat"})),
    "close": Rule(("treated", "feedback_given"), "closed", REVIEWERS),
}
ACTIONS = tuple(RULES)
ITEM_ACTIONS = ACTIONS  # publish works on a whole meeting, see AgendaService.publish


class AgendaError(DomainError):
    """A refused agenda request; rendered from knowledge/responses/{lang}/AgendaErrors.yaml."""


def allowed_actions(state: str, relations: frozenset[str]) -> list[str]:
    return [a for a, r in RULES.items() if state in r.sources and r.who & relations]


def check(state: str, action: str, relations: frozenset[str]) -> Rule:
    """The rule for ``action``; refuses with the actions this person may take instead."""
    rule = RULES.get(action)
    if rule is None:
        raise AgendaError("unknown_action", action=action, allowed=allowed_actions(state, relations))
    if state not in rule.sources:
        raise AgendaError("not_in_state", action=action, state=state, allowed=allowed_actions(state, relations),
                          states=list(rule.sources))
    if not rule.who & relations:
        raise AgendaError("not_your_role", action=action, state=state, allowed=allowed_actions(state, relations),
                          roles=[r for r in RELATIONS if r in rule.who])
    return rule
