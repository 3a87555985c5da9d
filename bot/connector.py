"""A fast Bot Framework connector client: one aiohttp session, cached tokens, cached authentication.

botbuilder's CloudAdapter builds, for every turn, a new ``ConnectorClient`` (an msrest configuration with
its retry policy), new app credentials (so a new MSAL application with an empty token cache) and a new
token client, and sends each reply with ``requests`` in a thread pool. ``BotConnector`` keeps the same
protocol and does the expensive parts once:

* incoming JWTs are validated by botbuilder's own code (``BotFrameworkAuthentication.authenticate_request``)
  and the result is cached per token, channel and service URL until the token expires;
* ``ConnectorClient`` and user-token clients (kept on the turn for code that wants them) are built once
  per service URL and app id;
* the outgoing token comes from the same botbuilder credentials (``MicrosoftAppCredentials`` and MSAL),
  fetched in a thread when needed and cached until shortly before it expires;
* replies are POSTed to ``{serviceUrl}/v3/conversations/{conversationId}/activities/{replyToId}`` (or
  ``.../activities`` without a reply id) over one shared ``aiohttp.ClientSession``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import jwt
from botbuilder.schema import ResourceResponse
from botframework.connector.auth import AuthenticationConstants, ClaimsIdentity
from yarl import URL

log = logging.getLogger("kkr.connector")
USER_AGENT = "Microsoft-BotFramework/3.1 (BotBuilder Python/4.17.1; kkr-bot fast connector)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class ConnectorError(Exception):
    """The connector answered with an error status (after retries for the transient ones)."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"the Bot Framework connector answered HTTP {status} for {urlsplit(url).path}")
        self.status = status


class _Bounded(OrderedDict):
    """A small LRU dict."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


def app_id_of(claims: ClaimsIdentity) -> str | None:
    """The bot's app id as botbuilder derives it from the claims (audience, else appid)."""
    value = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    return value if value is not None else claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)


def _expiry(token: str) -> float | None:
    """The ``exp`` of a JWT we already trust (our own access token), without verifying it again."""
    try:
        exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if isinstance(exp, int | float) else None


def connector_url(service_url: str, conversation_id: str, reply_to_id: str | None) -> str:
    """The connector's REST address, quoted as msrest quotes path parameters."""
    url = f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}/activities"
    return f"{url}/{quote(reply_to_id, safe='')}" if reply_to_id else url


class BotConnector:
    """Per-process caches and the HTTP session for talking to the Bot Framework connector."""

    def __init__(self, *, timeout: float = 20.0, retries: int = 2) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None
        self._auth: _Bounded = _Bounded(10_000)  # (header, channel, service url) -> (result, valid until)
        self._clients: _Bounded = _Bounded(256)  # (service url, app id, audience) -> ConnectorClient
        self._user_token_clients: _Bounded = _Bounded(64)  # app id -> UserTokenClient
        self._tokens: dict[tuple, tuple[str, float]] = {}  # credentials key -> (token, refresh after)
        self._token_locks: dict[tuple, asyncio.Lock] = {}
        self.token_fetches = 0  # how many times a token was actually requested (tests, the curious)

    # -- incoming ---------------------------------------------------------------------------------
    async def authenticate(self, auth: Any, activity: Any, auth_header: str | None) -> Any:
        """``auth.authenticate_request(activity, auth_header)``, cached per token until it expires.

        Unauthenticated requests (no header) are never cached: botbuilder decides each time whether
        authentication is disabled. A token is cached only with its channel id and service URL, since
        botbuilder checks the token's endorsements against the channel and its serviceUrl claim against
        the activity.
        """
        if not auth_header:
            return await auth.authenticate_request(activity, auth_header)
        key = (auth_header, activity.channel_id, activity.service_url)
        cached = self._auth.get(key)
        now = time.time()
        if cached is not None and cached[1] > now:
            return cached[0]
        result = await auth.authenticate_request(activity, auth_header)
        exp = result.claims_identity.claims.get("exp") if result.claims_identity else None
        if isinstance(exp, int | float) and exp > now:
            self._auth.put(key, (result, float(exp)))
        return result

    async def client_for(self, result: Any, service_url: str) -> Any:
        """The ConnectorClient for this service URL and identity (for code that wants it on the turn)."""
        if not result.connector_factory:
            return None
        key = (service_url, app_id_of(result.claims_identity), result.audience)
        client = self._clients.get(key)
        if client is None:
            client = await result.connector_factory.create(service_url, result.audience)
            self._clients.put(key, client)
        return client

    async def user_token_client(self, auth: Any, claims: ClaimsIdentity) -> Any:
        key = app_id_of(claims)
        client = self._user_token_clients.get(key)
        if client is None:
            client = await auth.create_user_token_client(claims)
            self._user_token_clients.put(key, client)
        return client

    # -- outgoing ---------------------------------------------------------------------------------
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
                json_serialize=json.dumps)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def token(self, credentials: Any) -> str | None:
        """The bearer token for ``credentials`` (botbuilder AppCredentials), or None when anonymous."""
        app_id = getattr(credentials, "microsoft_app_id", None)
        if credentials is None or not app_id or app_id == AuthenticationConstants.ANONYMOUS_SKILL_APP_ID:
            return None
        key = (type(credentials).__name__, app_id, getattr(credentials, "oauth_scope", None),
               getattr(credentials, "oauth_endpoint", None))
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and cached[1] > time.time():
                return cached[0]
            self.token_fetches += 1
            token = await asyncio.to_thread(credentials.get_access_token)  # MSAL: a network call when due
            now = time.time()
            exp = _expiry(token)
            # Refresh six minutes before expiry (MSAL itself renews five minutes before), at the
            # earliest in 30 s so a token MSAL still considers fresh is not fetched on every turn.
            refresh = max(exp - 360, now + 30) if exp else now + 600
            self._tokens[key] = (token, refresh)
            return token

    def forget_token(self, credentials: Any) -> None:
        key = (type(credentials).__name__, getattr(credentials, "microsoft_app_id", None),
               getattr(credentials, "oauth_scope", None), getattr(credentials, "oauth_endpoint", None))
        self._tokens.pop(key, None)

    async def post(self, service_url: str, conversation_id: str, reply_to_id: str | None, body: bytes | dict,
                   credentials: Any) -> ResourceResponse:
        """POST one activity (JSON bytes or a dict); retries transient failures; returns the connector's
        ResourceResponse or raises ConnectorError."""
        url = connector_url(service_url, conversation_id, reply_to_id)
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8",
                   "User-Agent": USER_AGENT}
        if conversation_id.isascii():
            headers["x-ms-conversation-id"] = conversation_id
        attempt, refreshed = 0, False
        while True:
            token = await self.token(credentials)
            if token:
                parts = urlsplit(url)
                if parts.scheme != "https" and parts.hostname not in LOOPBACK:
                    raise ConnectorError(0, url)  # never send a bot token in clear text off this machine
                headers["Authorization"] = f"Bearer {token}"
            try:
                async with self.session().post(URL(url, encoded=True), data=body, headers=headers) as resp:
                    status = resp.status
                    if status in (200, 201, 202):
                        data = await resp.read()
                        try:
                            doc = json.loads(data) if data else {}
                        except ValueError:
                            doc = {}
                        return ResourceResponse(id=(doc or {}).get("id") if isinstance(doc, dict) else None)
                    retry_after = resp.headers.get("Retry-After")
                    await resp.read()
            except (TimeoutError, aiohttp.ClientConnectionError):
                if attempt >= self.retries:
                    raise
                attempt += 1
                await asyncio.sleep(0.2 * 4 ** (attempt - 1))
                continue
            if status == 401 and token and not refreshed:  # a revoked or rotated token: fetch a new one once
                refreshed = True
                self.forget_token(credentials)
                continue
            if status in RETRY_STATUSES and attempt < self.retries:
                attempt += 1
                delay = 0.2 * 4 ** (attempt - 1)
                if retry_after:
                    try:
                        delay = min(5.0, max(delay, float(retry_after)))
                    except ValueError:
                        pass
                await asyncio.sleep(delay)
                continue
            raise ConnectorError(status, url)
