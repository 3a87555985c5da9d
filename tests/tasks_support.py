"""Helpers for the task-backend tests: a connector that fails or stalls on demand, an SMTP server, a clock."""
from __future__ import annotations

import asyncio
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message

from aiohttp import web

from tests.conftest import TENANT


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class FlakyConnector:
    """A stand-in Bot Framework connector: records activities; fails, throttles or stalls when told."""

    def __init__(self) -> None:
        self.sent: dict[str, list[dict]] = defaultdict(list)
        self.fail_next: list[int | tuple[int, dict]] = []  # statuses (with headers) to answer first
        self.fail_always: int | None = None
        self.hold_request: int | None = None  # the n-th request (1-based) hangs until released
        self.hold_then_deliver = False  # released: recorded and answered 200, else dropped with a 503
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self.requests = 0
        self.auth_headers: list[str | None] = []
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._receive)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._receive)  # replies in a turn
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.auth_headers.append(request.headers.get("Authorization"))
        if self.hold_request is not None and self.requests == self.hold_request:
            self.held.set()
            await self.release.wait()
            if not self.hold_then_deliver:  # e.g. the worker was killed meanwhile: it never took effect
                return web.Response(status=503)
            body = await request.json()
            self.sent[request.match_info["cid"]].append(body)
            return web.json_response({"id": uuid.uuid4().hex})
        if self.fail_always is not None:
            return web.Response(status=self.fail_always)
        if self.fail_next:
            item = self.fail_next.pop(0)
            status, headers = item if isinstance(item, tuple) else (item, {})
            return web.Response(status=status, headers=headers)
        body = await request.json()
        self.sent[request.match_info["cid"]].append(body)
        return web.json_response({"id": uuid.uuid4().hex})

    def texts(self, cid: str | None = None) -> list[str]:
        groups = [self.sent[cid]] if cid else list(self.sent.values())
        return [a.get("text") or "" for g in groups for a in g]


def reference(user: str, *, service_url: str, conversation: str | None = None, lang: str | None = "da",
              conversation_type: str = "personal") -> dict:
    """A serialized ConversationReference as TeamsBot hands it to its reference sinks."""
    return {
        "activityId": uuid.uuid4().hex,
        "user": {"id": "29:" + user, "name": "Someone", "aadObjectId": user},
        "bot": {"id": "28:bot", "name": "KKR bot"},
        "conversation": {"id": conversation or f"a:{user}", "conversationType": conversation_type,
                         "tenantId": TENANT, "isGroup": conversation_type != "personal"},
        "channelId": "msteams",
        "locale": "da-DK",
        "serviceUrl": service_url,
        "lang": lang,
    }


def notify_payload(aad: str | None = None, email: str | None = None, ref: str = "x", lang: str = "da",
                   template: tuple[str, str] = ("Notices", "test_message")) -> dict:
    recipient = {k: v for k, v in {"aad_id": aad, "email": email, "name": "Someone"}.items() if v}
    return {"recipient": recipient, "template": list(template), "vars": {"ref": ref}, "lang": lang, "card": None}


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 OK"


def free_port(low: int = 4100, high: int = 4199) -> int:
    """A free port in this area's range (4100-4199)."""
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 4100-4199")
