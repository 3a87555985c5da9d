"""Build the Teams app package: manifest.json (+ en.json) and the two icons, zipped for upload to Teams."""
from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bot.settings import ROOT, Settings

APP_DIR = Path(__file__).resolve().parent / "teams_app"
TEMPLATE = APP_DIR / "manifest.template.json"
LOCALIZATIONS = ("en.json",)
ICONS = ("color.png", "outline.png")
DEFAULT_OUT = ROOT / "dist" / "kkr-bot-teams.zip"
DEFAULT_URL = "https://www.kl.dk/"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


class PackageError(ValueError):
    """The package cannot be built from these settings; the message says which setting to fix."""


@dataclass(frozen=True)
class PackageOptions:
    version: str = "1.0.0"
    teams_app_id: str = ""  # the Teams app's own id; defaults to the bot's MicrosoftAppId
    website_url: str = DEFAULT_URL
    privacy_url: str = DEFAULT_URL
    terms_url: str = DEFAULT_URL

    @classmethod
    def from_env(cls, env: dict[str, str], version: str | None = None) -> PackageOptions:
        website = env.get("TEAMS_WEBSITE_URL") or DEFAULT_URL
        return cls(version=version or env.get("TEAMS_APP_VERSION") or "1.0.0",
                   teams_app_id=env.get("TEAMS_APP_ID", ""),
                   website_url=website,
                   privacy_url=env.get("TEAMS_PRIVACY_URL") or website,
                   terms_url=env.get("TEAMS_TERMS_URL") or website)


def _check(settings: Settings, options: PackageOptions) -> None:
    if not GUID.match(settings.app_id):
        raise PackageError("MicrosoftAppId must be the Azure Bot's app (client) id, a GUID like "
                           "00000000-0000-0000-0000-000000000000")
    if settings.app_type != "SingleTenant":
        raise PackageError("MicrosoftAppType must be SingleTenant (the bot is registered single-tenant)")
    if not GUID.match(settings.app_tenant_id):
        raise PackageError("MicrosoftAppTenantId must be the organisation's Entra tenant id (a GUID)")
    if options.teams_app_id and not GUID.match(options.teams_app_id):
        raise PackageError("TEAMS_APP_ID must be a GUID")
    if not SEMVER.match(options.version):
        raise PackageError("the app version must look like 1.2.3")
    for name in ("website_url", "privacy_url", "terms_url"):
        if not getattr(options, name).startswith("https://"):
            raise PackageError(f"{name} must be an https:// address")


def _fill(node: object, values: dict[str, str]) -> object:
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, str):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], node)
    return node


def build_manifest(settings: Settings, options: PackageOptions | None = None) -> dict:
    """The manifest.json for this deployment (raises PackageError naming the setting to fix)."""
    options = options or PackageOptions()
    _check(settings, options)
    host = urlparse(settings.public_base_url).hostname or ""
    public = settings.public_base_url.startswith("https://") and host not in {"localhost", "127.0.0.1", "::1"}
    values = {
        "version": options.version,
        "teams_app_id": (options.teams_app_id or settings.app_id).lower(),
        "bot_id": settings.app_id.lower(),
        "website_url": options.website_url,
        "privacy_url": options.privacy_url,
        "terms_url": options.terms_url,
        "bot_domain": host,
    }
    manifest = _fill(json.loads(TEMPLATE.read_text(encoding="utf-8")), values)
    assert isinstance(manifest, dict)
    if not public:  # the messaging endpoint is set in the Azure Bot resource; validDomains is only for links
        manifest.pop("validDomains", None)
    return manifest


def build_package(settings: Settings, out: Path = DEFAULT_OUT, options: PackageOptions | None = None) -> Path:
    """Write the zip Teams takes under "Upload a custom app"; returns its path."""
    manifest = build_manifest(settings, options)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name in LOCALIZATIONS + ICONS:
            zf.write(APP_DIR / name, name)
    return out
