"""The CloudAdapter, with Bot Framework authentication configured from Settings, and a fast turn path.

``FastCloudAdapter`` is botbuilder's ``CloudAdapter`` with the per-turn costs moved out of the turn
(see ``bot.connector``): the activity is read with ``bot.wire`` instead of msrest, authentication results,
connector clients and tokens are cached, and replies go out over one aiohttp session. The turn itself
(TurnContext, the middleware pipeline, the ActivityHandler, invoke and expectReplies results) is
botbuilder's, unchanged.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.web import (
    HTTPBadRequest,
    HTTPMethodNotAllowed,
    HTTPUnauthorized,
    HTTPUnsupportedMediaType,
    Request,
    Response,
    json_response,
)
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector import Channels
from botframework.connector.auth import AuthenticateRequestResult

from bot.connector import BotConnector
from bot.settings import Settings
from bot.wire import activity_from_dict, to_dict

log = logging.getLogger("kkr.adapter")
PARSED_BODY = web.RequestKey("kkr.parsed_activity", dict)  # where bot.web leaves the body it validated


class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id


class FastCloudAdapter(CloudAdapter):
    """CloudAdapter whose per-turn work is only the turn: see the module docstring."""

    def __init__(self, auth: ConfigurationBotFrameworkAuthentication, connector: BotConnector | None = None) -> None:
        super().__init__(auth)
        self.connector = connector or BotConnector()

    async def close(self) -> None:
        await self.connector.close()

    async def process(self, request: Request, bot: Bot, ws_response: Any = None) -> Response | None:
        if request.method != "POST" or ws_response is not None:
            if request.method == "GET" and ws_response is not None:
                return await super().process(request, bot, ws_response)
            raise HTTPMethodNotAllowed(request.method, ["POST"])
        body = request.get(PARSED_BODY)
        if body is None:
            if "application/json" not in request.headers.get("Content-Type", ""):
                raise HTTPUnsupportedMediaType
            body = await request.json()
        activity = activity_from_dict(body)
        if not activity.type:
            raise HTTPBadRequest
        try:
            # None when absent: botbuilder's parameterized (sovereign cloud) path refuses only None cleanly
            invoke_response = await self.process_activity(request.headers.get("Authorization"), activity,
                                                          bot.on_turn)
        except PermissionError as error:
            raise HTTPUnauthorized from error
        if invoke_response:
            return json_response(data=serializer_helper(invoke_response.body), status=invoke_response.status)
        return Response(status=201)

    async def process_activity(self, auth_header_or_authenticate_request_result: str | AuthenticateRequestResult | None,
                               activity: Activity, logic: Any) -> InvokeResponse | None:
        auth = self.bot_framework_authentication
        given = auth_header_or_authenticate_request_result
        result = given if isinstance(given, AuthenticateRequestResult) else (
            await self.connector.authenticate(auth, activity, given))
        activity.caller_id = result.caller_id
        connector_client = await self.connector.client_for(result, activity.service_url)
        if not connector_client:
            raise RuntimeError("Unable to extract ConnectorClient from turn context.")
        user_token_client = await self.connector.user_token_client(auth, result.claims_identity)
        context = self._create_turn_context(activity, result.claims_identity, result.audience, connector_client,
                                            user_token_client, logic, result.connector_factory)
        await self.run_pipeline(context, logic)
        return self._process_turn_results(context)

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        """As CloudAdapterBase.send_activities, but POSTed over the shared session with a cached token."""
        if not context:
            raise TypeError("Expected TurnContext but got None instead")
        if activities is None:
            raise TypeError("Expected Activities list but got None instead")
        if len(activities) == 0:
            raise TypeError("Expecting one or more activities, but the list was empty.")
        client = context.turn_state.get(self.BOT_CONNECTOR_CLIENT_KEY)
        responses = []
        for activity in activities:
            activity.id = None
            response = None
            if activity.type == "delay":
                await asyncio.sleep(int((activity.value or 1000) / 1000))
            elif activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
            elif activity.type == ActivityTypes.trace and activity.channel_id != Channels.emulator:
                pass
            else:
                if not client:
                    raise RuntimeError("Unable to extract ConnectorClient from turn context.")
                try:  # object fields (cards, channel data) are passed through; msrest if JSON refuses one
                    body = json.dumps(to_dict(activity), ensure_ascii=False)
                except TypeError:
                    body = json.dumps(activity.serialize(), ensure_ascii=False)
                response = await self.connector.post(activity.service_url or client.config.base_url,
                                                     activity.conversation.id, activity.reply_to_id,
                                                     body.encode("utf-8"), client.config.credentials)
            responses.append(response or ResourceResponse(id=activity.id or ""))
        return responses


def create_adapter(settings: Settings, *, configuration: Any = None, credentials_factory: Any = None) -> FastCloudAdapter:
    """The adapter for ``settings``; ``configuration`` (botbuilder's names, e.g. a sovereign cloud's
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL) and ``credentials_factory`` replace the defaults."""
    auth = ConfigurationBotFrameworkAuthentication(configuration or _AuthConfig(settings),
                                                   credentials_factory=credentials_factory)
    adapter = FastCloudAdapter(auth)

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("unhandled turn error activity=%s type=%s", context.activity.id, type(error).__name__,
                  exc_info=error)
        try:
            lang = "en" if (context.activity.locale or "").startswith("en") else "da"
            await context.send_activity(
                "Sorry, something went wrong. Please try again." if lang == "en"
                else "Beklager, noget gik galt. Prøv venligst igen."
            )
        except Exception:  # the connector itself may be what failed
            log.warning("could not send the apology activity=%s", context.activity.id)

    adapter.on_turn_error = on_error
    return adapter
