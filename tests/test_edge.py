"""The fast edge keeps the Bot Framework protocol: JWT authentication of incoming activities, a bearer
token on outgoing replies (fetched once, not per turn), the connector's REST call, and replies equal to
what botbuilder's msrest serialization produces. Also the state fast path's behaviour under a lock."""
from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from aiohttp import web
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity, CardAction, SuggestedActions
from botframework.connector.auth import MicrosoftAppCredentials, PasswordServiceClientCredentialFactory
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from app import create_app
from bot.adapter import create_adapter
from bot.web import ADAPTER
from bot.wire import activity_from_dict, to_dict
from services.db import Database
from services.state import StateStore
from tests.conftest import activity, make_settings, reply_texts

APP_ID = "00000000-0000-0000-0000-0000000000b0"
ISSUER = "https://api.botframework.com"
KID = "test-key-1"


# -- a stand-in for the Bot Framework's OpenID metadata and for Entra ID's token endpoint ----------------
class _Keys:
    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwks = {"keys": [{**jwk, "kid": KID, "use": "sig", "endorsements": ["msteams"]}]}

    def token(self, service_url: str, *, aud: str = APP_ID, exp_in: int = 3600, key=None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": aud, "serviceurl": service_url, "nbf": now - 10, "exp": now + exp_in}
        return jwt.encode(claims, key or self.private, algorithm="RS256", headers={"kid": KID})


@pytest.fixture(scope="module")
def keys() -> _Keys:
    return _Keys()


@pytest.fixture(scope="module")
def metadata_url(keys):
    """OpenID metadata and keys over HTTP in a thread (botbuilder fetches them with blocking requests)."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            port = self.server.server_address[1]
            body = ({"jwks_uri": f"http://127.0.0.1:{port}/keys"} if self.path == "/openid" else keys.jwks)
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    server.shutdown()


class _Aad(PasswordServiceClientCredentialFactory):
    """Entra ID's token endpoint, stood in: hands out a signed token and counts how often it is asked."""

    def __init__(self) -> None:
        super().__init__(APP_ID, "secret")
        self.fetches = 0
        factory = self

        class Credentials(MicrosoftAppCredentials):
            def get_access_token(self, force_refresh: bool = False) -> str:
                factory.fetches += 1
                return jwt.encode({"aud": "https://api.botframework.com", "exp": int(time.time()) + 3600,
                                   "n": factory.fetches}, "a stand-in for Entra ID, long enough for HS256", algorithm="HS256")

        self.credentials_class = Credentials

    async def create_credentials(self, app_id, oauth_scope, login_endpoint, validate_authority):
        if app_id != self.app_id:
            raise PermissionError("Invalid app_id")
        return self.credentials_class(app_id, self.password, None, oauth_scope)


class _Config:
    """botbuilder's configuration names; the OpenID metadata is ours instead of login.botframework.com."""

    def __init__(self, metadata_url: str) -> None:
        self.APP_ID, self.APP_PASSWORD, self.APP_TYPE, self.APP_TENANTID = APP_ID, "secret", "MultiTenant", ""
        self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = metadata_url
        self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = ISSUER
        self.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"
        self.TO_CHANNEL_FROM_BOT_LOGIN_URL = "https://login.microsoftonline.com/botframework.com"


class _RecordingConnector:
    """The connector, recording each request's path, Authorization header and body."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_next: list[int] = []
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._receive)
        app.router.add_post("/v3/conversations/{cid}/activities", self._receive)
        return app

    async def _receive(self, request: web.Request) -> web.Response:
        if self.fail_next:
            return web.Response(status=self.fail_next.pop(0))
        self.requests.append({"path": request.raw_path, "auth": request.headers.get("Authorization"),
                              "body": await request.json(), "cid": request.match_info["cid"]})
        return web.json_response({"id": uuid.uuid4().hex})


@pytest.fixture
async def recorder(aiohttp_server):
    stand_in = _RecordingConnector()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url("")).rstrip("/")
    return stand_in


@pytest.fixture
async def secured(aiohttp_client, sqlite_url, metadata_url):
    """The whole app with MicrosoftAppId set, validating tokens against our OpenID metadata."""
    settings = make_settings(sqlite_url, app_id=APP_ID, app_password="secret")
    app = create_app(settings)
    aad = _Aad()
    app[ADAPTER] = create_adapter(settings, configuration=_Config(metadata_url), credentials_factory=aad)
    client = await aiohttp_client(app)
    return client, aad


async def test_authenticated_activity_is_answered_with_a_bot_token(secured, keys, recorder):
    client, aad = secured
    token = keys.token(recorder.url)
    for _ in range(3):
        body = activity("hjælp", service_url=recorder.url, conversation="a:1Xy/conv;messageid=7")
        resp = await client.post("/api/messages", json=body, headers={"Authorization": f"Bearer {token}"})
        assert resp.status in (200, 201)
    assert len(recorder.requests) == 3
    first = recorder.requests[0]
    assert "Find kontakt" in reply_texts([first["body"]])
    # The connector's REST call: the conversation id as one quoted path segment, the reply to the activity.
    assert first["path"].startswith("/v3/conversations/a%3A1Xy%2Fconv%3Bmessageid%3D7/activities/")
    assert first["cid"] == "a:1Xy/conv;messageid=7"
    assert first["body"]["replyToId"] and first["body"]["from"]["id"] == "28:bot"
    assert first["body"]["recipient"]["id"] == "29:user-1"
    # Every reply carries the bot's token; it was fetched from Entra ID once, not once per turn.
    assert all(r["auth"] and r["auth"].startswith("Bearer ") for r in recorder.requests)
    assert aad.fetches == 1


@pytest.mark.parametrize("case", ["no-header", "garbage", "wrong-key", "wrong-audience", "wrong-service-url",
                                  "expired"])
async def test_invalid_tokens_are_refused_and_nothing_is_sent(secured, keys, recorder, case):
    client, _ = secured
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = {
        "no-header": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "wrong-key": {"Authorization": f"Bearer {keys.token(recorder.url, key=other_key)}"},
        "wrong-audience": {"Authorization": f"Bearer {keys.token(recorder.url, aud='someone-else')}"},
        "wrong-service-url": {"Authorization": f"Bearer {keys.token('https://evil.example/')}"},
        "expired": {"Authorization": f"Bearer {keys.token(recorder.url, exp_in=-3600)}"},
    }[case]
    resp = await client.post("/api/messages", json=activity("hjælp", service_url=recorder.url), headers=headers)
    assert resp.status == 401
    assert not recorder.requests


async def test_a_cached_token_is_still_checked_against_the_service_url(secured, keys, recorder):
    client, _ = secured
    token = keys.token(recorder.url)
    ok = await client.post("/api/messages", json=activity("hjælp", service_url=recorder.url),
                           headers={"Authorization": f"Bearer {token}"})
    assert ok.status in (200, 201)
    elsewhere = await client.post("/api/messages", json=activity("hjælp", service_url="https://other.example/"),
                                  headers={"Authorization": f"Bearer {token}"})
    assert elsewhere.status == 401
    assert len(recorder.requests) == 1


async def test_transient_connector_errors_are_retried(bot, recorder):
    recorder.fail_next = [503, 502]
    resp = await bot.client.post("/api/messages", json=activity("hjælp", service_url=recorder.url))
    assert resp.status in (200, 201)
    assert len(recorder.requests) == 1 and "Find kontakt" in reply_texts([recorder.requests[0]["body"]])


async def test_a_connector_that_keeps_failing_fails_the_turn_not_the_process(bot, recorder):
    recorder.fail_next = [500] * 6  # the reply and the apology, each with its retries
    resp = await bot.client.post("/api/messages", json=activity("hjælp", service_url=recorder.url))
    assert resp.status in (200, 201)  # the turn failed (logged); the channel is not asked to redeliver
    assert not recorder.requests
    resp = await bot.client.post("/api/messages", json=activity("hjælp", service_url=recorder.url))
    assert resp.status in (200, 201)
    assert "Find kontakt" in reply_texts([r["body"] for r in recorder.requests])


# -- the fast (de)serialization equals msrest's -------------------------------------------------------
def _teams_payloads() -> list[dict]:
    message = activity("hvad betaler Hjørring til Børnehus Nord i 2021?")
    message.update(
        timestamp="2026-11-28T18:06:41.1234567Z", localTimestamp="2026-11-28T19:06:41.123+01:00",
        localTimezone="Europe/Copenhagen", textFormat="plain", attachments=[
            {"contentType": "text/html", "content": "<p>hvad betaler <at>KKR bot</at> ...</p>"}],
        entities=[{"type": "clientInfo", "locale": "da-DK", "country": "DK", "platform": "Web",
                   "timezone": "Europe/Copenhagen"},
                  {"type": "mention", "text": "<at>KKR bot</at>", "mentioned": {"id": "28:bot", "name": "KKR bot"}}],
        channelData={"tenant": {"id": "t"}, "teamsChannelId": "19:x@thread.skype", "teamsTeamId": "19:y",
                     "channel": {"id": "19:x@thread.skype"}, "team": {"id": "19:y"}},
    )
    message["from"]["role"] = "user"
    message["conversation"].update(isGroup=True, conversationType="channel", name="Generelt")
    update = activity("")
    update.update(type="conversationUpdate", text=None, membersAdded=[{"id": "28:bot"}, {"id": "29:user-1"}],
                  membersRemoved=[])
    submit = activity("")
    submit.update(text=None, value={"intent": "ContactFind", "query": "formand", "n": 3, "ok": True})
    invoke = activity("")
    invoke.update(type="invoke", name="adaptiveCard/action", text=None,
                  value={"action": {"type": "Action.Execute", "verb": "x", "data": {"a": [1, 2.5, None]}}})
    odd = activity("hej")
    odd["from"]["id"] = 17  # not a string: msrest's own rules apply (fallback)
    odd["unknownField"] = {"kept": True}
    return [message, update, submit, invoke, odd]


@pytest.mark.parametrize("payload", _teams_payloads(), ids=["channel-message", "members-added", "card-submit",
                                                             "invoke", "odd-types"])
def test_fast_activity_reading_equals_msrest(payload):
    fast = activity_from_dict(copy.deepcopy(payload))
    slow = Activity().deserialize(copy.deepcopy(payload))
    assert fast == slow
    assert to_dict(fast) == slow.serialize()


def test_fast_reply_writing_equals_msrest():
    incoming = Activity().deserialize(_teams_payloads()[0])
    reference = TurnContext.get_conversation_reference(incoming)
    assert to_dict(reference) == reference.serialize()
    card = MessageFactory.attachment(CardFactory.adaptive_card({"type": "AdaptiveCard", "version": "1.5",
                                                                  "body": [{"type": "TextBlock", "text": "æøå"}]}),
                                     text="Svar")
    card.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="Ja", value="ja")])
    for reply in (MessageFactory.text("Hjørring betaler 489.473 kr."), card):
        reply.text_format = "markdown"
        TurnContext.apply_conversation_reference(reply, reference)
        assert json.loads(json.dumps(to_dict(reply))) == reply.serialize()


# -- the state fast path --------------------------------------------------------------------------------
async def test_state_write_waits_for_another_writer_instead_of_failing(sqlite_db):
    store = StateStore(sqlite_db)
    await store.write({"k": {"n": 1}})
    path = sqlite_db.url.split(":///", 1)[1]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a while

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    seen = (await store.read(["k"]))["k"]  # reading is never blocked in WAL mode
    await asyncio.gather(release(), store.write({"k": {**seen, "n": 2}}))
    other.close()
    assert (await store.read(["k"]))["k"]["n"] == 2


async def test_state_rows_from_the_fast_path_read_back_through_the_orm(db):
    from sqlalchemy import select

    from services.state import StateRow

    store = StateStore(db)
    tags = await store.write({"k1": {"flow": {"name": "X"}}, "k2": {"n": "æø"}})
    async with db.sessions() as session:
        rows = {r.key: r for r in (await session.execute(select(StateRow))).scalars()}
    assert rows["k1"].etag == tags["k1"] and json.loads(rows["k2"].data) == {"n": "æø"}
    assert rows["k1"].updated_at is not None and rows["k1"].updated_at.year >= 2024
    restarted = Database(db.url)
    assert (await StateStore(restarted).read(["k1"]))["k1"]["flow"] == {"name": "X"}
    await restarted.dispose()


async def test_replies_are_addressed_as_botbuilder_addresses_them():
    from botbuilder.core import BotAdapter

    from bot.teams import send_replies, to_activity
    from bot.turn import Reply

    class Recording(BotAdapter):
        def __init__(self) -> None:
            super().__init__()
            self.sent: list[dict] = []

        async def send_activities(self, context, activities):
            self.sent += [to_dict(a) for a in activities]
            return [None] * len(activities)

        async def update_activity(self, context, activity):
            return None

        async def delete_activity(self, context, reference):
            return None

    replies = [Reply(text="Svar", card={"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "æ"}]},
                     suggestions=["ja"]), Reply(text="Mere")]
    ours, theirs = Recording(), Recording()
    incoming = _teams_payloads()[0]
    ours_ctx = TurnContext(ours, Activity().deserialize(copy.deepcopy(incoming)))
    theirs_ctx = TurnContext(theirs, Activity().deserialize(copy.deepcopy(incoming)))
    await send_replies(ours_ctx, [to_activity(r) for r in replies])
    await theirs_ctx.send_activities([to_activity(r) for r in replies])
    assert ours.sent == theirs.sent and ours.sent[0]["replyToId"]
    assert ours_ctx.responded and theirs_ctx.responded
