"""HTTP edge: POST /api/messages (validated, then CloudAdapter) and GET /healthz."""
from __future__ import annotations

import gc
import json
import logging
from typing import Any

import jwt
from aiohttp import web

from bot.adapter import PARSED_BODY

log = logging.getLogger("kkr.web")
_FROZEN = False
MAX_BODY = 256 * 1024  # a Teams activity is a few KB; Adaptive Card submits stay far below this

ADAPTER = web.AppKey("adapter", object)
BOT = web.AppKey("bot", object)
SERVICES = web.AppKey("services", object)
SETTINGS = web.AppKey("settings", object)


def _bad(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def validate_activity(body: Any) -> str | None:
    """The reason a body is not an activity we can process, or None."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "missing activity type"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
        return "missing conversation.id"
    if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(("http://", "https://")):
        return "missing serviceUrl"
    sender = body.get("from")
    if kind == "message" and (not isinstance(sender, dict) or not isinstance(sender.get("id"), str)):
        return "missing from.id"
    for field in ("text", "locale", "id", "channelId"):
        if field in body and body[field] is not None and not isinstance(body[field], str):
            return f"{field} must be a string"
    if isinstance(body.get("text"), str) and len(body["text"]) > 28_000:
        return "text too long"
    return None


def tenant_of(body: dict) -> str:
    conversation = body.get("conversation") or {}
    channel_data = body.get("channelData") or {}
    tenant = conversation.get("tenantId") or ((channel_data.get("tenant") or {}) if isinstance(channel_data, dict) else {}).get("id")
    return tenant if isinstance(tenant, str) else ""


async def messages(request: web.Request) -> web.StreamResponse:
    if request.content_type != "application/json":
        return _bad(415, "expected application/json")
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _bad(400, "body is not JSON")
    reason = validate_activity(body)
    if reason:
        return _bad(400, reason)
    allowed = request.app[SETTINGS].allowed_tenants  # type: ignore[attr-defined]
    if allowed and tenant_of(body) not in allowed:
        log.warning("refused activity from a tenant outside the allow-list activity=%s", body.get("id"))
        return _bad(403, "tenant not allowed")
    request[PARSED_BODY] = body  # the adapter reads the activity from here instead of parsing it again
    try:
        response = await request.app[ADAPTER].process(request, request.app[BOT])  # type: ignore[attr-defined]
    except web.HTTPException:
        raise
    except (PermissionError, jwt.PyJWTError):
        log.warning("refused an activity with an invalid token activity=%s", body.get("id"))
        return _bad(401, "unauthorized")
    except (TypeError, ValueError, KeyError, AttributeError):
        log.warning("activity could not be processed activity=%s", body.get("id"), exc_info=True)
        return _bad(400, "activity could not be processed")
    return response or web.Response(status=201)


async def healthz(request: web.Request) -> web.Response:
    db_ok = await request.app[SERVICES].db.ping()  # type: ignore[attr-defined]
    body: dict = {"status": "ok" if db_ok else "degraded", "database": db_ok}
    instance = request.app[SETTINGS].instance_name  # type: ignore[attr-defined]
    if instance:
        body["instance"] = instance
    return web.json_response(body, status=200 if db_ok else 503)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(_freeze_startup_objects)
    app.on_cleanup.append(_close_adapter)


async def _freeze_startup_objects(_app: web.Application) -> None:
    """The knowledge base and the modules live as long as the process: keep them out of the cyclic
    garbage collector's generations, so its full collections stay short (CPython's gc.freeze). Once per
    process: a process that builds many apps (the tests) must not freeze the garbage of earlier ones."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


async def _close_adapter(app: web.Application) -> None:
    close = getattr(app.get(ADAPTER), "close", None)  # the fast adapter's shared HTTP session
    if close is not None:
        await close()
