"""The activity handler: turns a Teams activity into a Turn, runs the core, sends the replies."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    DeliveryModes,
    SuggestedActions,
)

from bot.core import Core
from bot.language import detect_language
from bot.recognizer import Match
from bot.render import Renderer
from bot.storage import SqlStorage
from bot.turn import Conversation, Reply, Turn, User
from bot.wire import to_dict  # reference.serialize(), without msrest's cost
from services.errors import ConcurrencyConflict
from services.registry import Services

log = logging.getLogger("kkr.bot")
ReferenceSink = Callable[[dict[str, Any]], Awaitable[None]]


class TeamsBot(ActivityHandler):
    """Loads conversation state, lets the Core answer, sends the replies and saves the state."""

    def __init__(self, core: Core, storage: SqlStorage, services: Services, renderer: Renderer) -> None:
        self.core, self.storage, self.services, self.renderer = core, storage, services, renderer
        self.reference_sinks: list[ReferenceSink] = []  # e.g. the task backend stores proactive references
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self._run(turn_context, None)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id != bot_id for m in members_added):
            await self._run(turn_context, "Welcome")

    async def _run(self, turn_context: TurnContext, forced_intent: str | None) -> None:
        activity = turn_context.activity
        key = state_key(activity.channel_id, activity.conversation.id)
        async with self._locks[key]:
            try:
                await self._turn(turn_context, key, forced_intent)
            finally:
                if not self._locks[key].locked():
                    self._locks.pop(key, None)

    async def _turn(self, turn_context: TurnContext, key: str, forced_intent: str | None) -> None:
        activity = turn_context.activity
        stored = (await self.storage.read([key])).get(key, {})
        etag = stored.pop("e_tag", None)
        before = _snapshot(stored) if etag else None  # handlers change the state in place
        turn = to_turn(activity, self.services, self.renderer, stored)
        turn.confidential = bool((stored.get("flow") or {}).get("confidential"))  # e.g. "annuller" mid-report
        if forced_intent:
            turn.intent = forced_intent
            await self.core.handlers[forced_intent](turn, Match(forced_intent, turn.lang))
        else:
            await self.core.handle(turn, activity.locale)
        try:
            if turn.confidential and not turn.state:
                await self.storage.delete([key])  # a confidential turn leaves no empty row behind
            elif before is not None and _snapshot(turn.state) == before:
                pass  # unchanged (the same question again): nothing to write, as botbuilder's BotState does
            else:
                await self.storage.write({key: {**turn.state, "e_tag": etag}})
        except ConcurrencyConflict:
            log.warning("state conflict activity=%s", activity.id)
            turn.replies = [Reply(text=self.renderer.render("Errors", "conflict", turn.lang))]
        if turn.replies:
            await send_replies(turn_context, [to_activity(r) for r in turn.replies])
        if turn.confidential:
            return  # a reporter's turn stores no reference to the person or the conversation
        reference = TurnContext.get_conversation_reference(activity)
        for sink in self.reference_sinks:
            await sink({**to_dict(reference), "lang": turn.lang})  # lang: for notices in their language


async def send_replies(turn_context: TurnContext, activities: list[Activity]) -> list:
    """TurnContext.send_activities for activities built for this turn: the same addressing (conversation
    reference), defaults and ``responded`` flag, without botbuilder's deepcopy of every activity (a whole
    Adaptive Card copied per reply). Send hooks or expectReplies buffering take botbuilder's own path."""
    if turn_context._on_send_activities or turn_context.activity.delivery_mode == DeliveryModes.expect_replies:
        return await turn_context.send_activities(activities)
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    for activity in activities:
        TurnContext.apply_conversation_reference(activity, reference)
        activity.type = activity.type or ActivityTypes.message
        activity.input_hint = activity.input_hint or "acceptingInput"
        activity.id = None
    responses = await turn_context.adapter.send_activities(turn_context, activities)
    if any(activity.type != ActivityTypes.trace for activity in activities):
        turn_context.responded = True
    return responses


def _snapshot(state: dict) -> str | None:
    """The state as text, to tell whether a turn changed it; None (always write) if it is not plain JSON."""
    try:
        return json.dumps(state, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return None


def state_key(channel_id: str, conversation_id: str) -> str:
    """The conversation state's row key: a hash, so the table holds no Teams conversation id in clear."""
    digest = hashlib.sha256(f"{channel_id}\x1f{conversation_id}".encode()).hexdigest()[:40]
    return f"{channel_id}/conversations/{digest}"


def to_turn(activity: Activity, services: Services, renderer: Renderer, state: dict) -> Turn:
    sender = activity.from_property or ChannelAccount(id="")
    conv = activity.conversation
    conversation_type = getattr(conv, "conversation_type", None) or ("groupChat" if conv.is_group else "personal")
    tenant = getattr(conv, "tenant_id", None) or ((activity.channel_data or {}).get("tenant") or {}).get("id", "")
    text = (activity.text or "").strip()
    value = activity.value if isinstance(activity.value, dict) else None
    return Turn(
        text=text,
        lang=detect_language(text, activity.locale),
        user=User(id=sender.id or "", name=sender.name or "", aad_id=getattr(sender, "aad_object_id", None) or ""),
        conversation=Conversation(id=conv.id, type=conversation_type, tenant_id=tenant or ""),
        services=services,
        renderer=renderer,
        state=state,
        value=value,
        activity_id=activity.id or "",
    )


def to_activity(reply: Reply) -> Activity:
    text = teams_markdown(reply.text) if reply.text else reply.text
    if reply.card is not None:
        message = MessageFactory.attachment(CardFactory.adaptive_card(reply.card), text=text)
    else:
        message = MessageFactory.text(text or "")
    message.text_format = "markdown"
    if reply.suggestions:
        message.suggested_actions = SuggestedActions(
            actions=[CardAction(type="imBack", title=_button_title(s), value=s) for s in reply.suggestions]
        )
    message.type = ActivityTypes.message
    return message


def teams_markdown(text: str) -> str:
    """Teams' markdown joins single line breaks: make bullet lines a list and other lines paragraphs."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        is_item = stripped.startswith(("• ", "- ", "* "))
        if is_item:
            item = "- " + stripped[2:]
            if out and out[-1] != "" and not out[-1].startswith("- "):
                out.append("")
            out.append(item)
        else:
            if out and out[-1] != "" and stripped:
                out.append("")
            out.append(stripped)
    return "\n".join(out).strip()


def _button_title(label: str, limit: int = 60) -> str:
    """Short enough for a quick-reply button, cut at a word and marked with an ellipsis."""
    if len(label) <= limit:
        return label
    return label[: limit - 1].rsplit(" ", 1)[0].rstrip(" –-,") + "…"
