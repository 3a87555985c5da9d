"""The floor: the least an aiohttp bot can do per turn. Reads the activity, posts one reply to the
connector (POST {serviceUrl}/v3/conversations/{id}/activities/{replyToId}) over one shared ClientSession,
answers 201. Run as its own process: ``python tests/bench/floor.py PORT``.
"""
from __future__ import annotations

import json
import sys

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)


async def messages(request: web.Request) -> web.Response:
    activity = json.loads(await request.read())
    conversation = activity["conversation"]["id"]
    reply = {
        "type": "message",
        "text": "Hjørring betaler 419.254 kr. til Børnehus Nord i 2021.",
        "textFormat": "markdown",
        "from": activity.get("recipient"),
        "recipient": activity.get("from"),
        "conversation": activity["conversation"],
        "replyToId": activity["id"],
        "channelId": activity.get("channelId"),
        "serviceUrl": activity["serviceUrl"],
    }
    url = f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{conversation}/activities/{activity['id']}"
    async with request.app[SESSION].post(url, data=json.dumps(reply),
                                         headers={"Content-Type": "application/json"}) as resp:
        await resp.read()
        if resp.status >= 300:
            return web.Response(status=502)
    return web.Response(status=201)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
    app[SESSION] = aiohttp.ClientSession()
    yield
    await app[SESSION].close()


def main() -> None:
    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.cleanup_ctx.append(session_ctx)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
