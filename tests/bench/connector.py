"""A stand-in Bot Framework connector for the benchmark: accepts replies, counts them, keeps the last one.

Run as its own process: ``python tests/bench/connector.py PORT``. ``GET /stats`` returns
``{"replies": N, "last": <the last activity posted>, "auth": <its Authorization header or null>}``.
"""
from __future__ import annotations

import json
import sys
import uuid

from aiohttp import web

STATS = {"replies": 0, "last": None, "auth": None}


async def receive(request: web.Request) -> web.Response:
    body = await request.read()
    STATS["replies"] += 1
    STATS["last_raw"] = body
    STATS["auth"] = request.headers.get("Authorization")
    return web.json_response({"id": uuid.uuid4().hex})


async def stats(_request: web.Request) -> web.Response:
    raw = STATS.get("last_raw")
    return web.json_response({"replies": STATS["replies"], "auth": STATS["auth"],
                              "last": json.loads(raw) if raw else None})


def main() -> None:
    app = web.Application()
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", receive)
    app.router.add_post("/v3/conversations/{cid}/activities", receive)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
