"""What a handler sees of one incoming message, and what it sends back; free of the Bot Framework SDK."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.render import Renderer
    from services.registry import Services


@dataclass(frozen=True)
class User:
    id: str  # channel user id ("29:...")
    name: str = ""
    aad_id: str = ""  # Entra ID object id; the stable identity for roles and recipients


@dataclass(frozen=True)
class Conversation:
    id: str
    type: str = "personal"  # personal | groupChat | channel
    tenant_id: str = ""

    @property
    def is_personal(self) -> bool:
        return self.type == "personal"


@dataclass
class Reply:
    text: str | None = None
    card: dict | None = None  # an Adaptive Card (schema 1.5) body
    suggestions: list[str] = field(default_factory=list)  # quick-reply buttons (imBack)


@dataclass
class Turn:
    """One message in, any number of replies out. ``state`` is the conversation's persisted state."""

    text: str
    lang: str
    user: User
    conversation: Conversation
    services: Services
    renderer: Renderer
    state: dict[str, Any] = field(default_factory=dict)
    value: dict[str, Any] | None = None  # an Adaptive Card submit
    activity_id: str = ""
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    replies: list[Reply] = field(default_factory=list)
    intent: str | None = None  # what the turn was recognized as, for the turn log
    # Set by the confidential-report handlers: no conversation reference is kept for this turn, and an
    # empty conversation state is deleted rather than written.
    confidential: bool = False

    def reply(self, text: str | None = None, card: dict | None = None, suggestions: list[str] | None = None) -> None:
        if card is not None:
            _tag_submits(card, self.lang)
        self.replies.append(Reply(text=text, card=card, suggestions=list(suggestions or [])))

    def t(self, intent: str, key: str, **variables: Any) -> str:
        """Render the reply ``key`` of ``intent`` in the user's language."""
        return self.renderer.render(intent, key, self.lang, **variables)

    def say(self, intent: str, key: str, suggestions: list[str] | None = None, **variables: Any) -> None:
        self.reply(self.t(intent, key, **variables), suggestions=suggestions)

    # Multi-turn flows: the active flow's name, step and data live in conversation state.
    @property
    def flow(self) -> dict[str, Any] | None:
        return self.state.get("flow")

    def start_flow(self, name: str, step: str, data: dict[str, Any] | None = None) -> None:
        self.state["flow"] = {"name": name, "step": step, "data": data or {}}

    def end_flow(self) -> None:
        self.state.pop("flow", None)


def _tag_submits(node: Any, lang: str) -> None:
    """Carry the conversation's language in every card button, so a submit (which has no text to detect
    the language from) is answered in the language the card was shown in, whatever the client's locale."""
    if isinstance(node, dict):
        if node.get("type") == "Action.Submit":
            data = node.setdefault("data", {})
            if isinstance(data, dict):
                data.setdefault("lang", lang)
        for value in node.values():
            _tag_submits(value, lang)
    elif isinstance(node, list):
        for item in node:
            _tag_submits(item, lang)
