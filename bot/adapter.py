"""The CloudAdapter, with Bot Framework authentication configured from Settings."""
from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.settings import Settings

log = logging.getLogger("kkr.adapter")


class _AuthConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.app_tenant_id


def create_adapter(settings: Settings) -> CloudAdapter:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_AuthConfig(settings)))

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
