"""The Teams app package: a manifest valid against the vendored published schema, and the icons Teams needs."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from bot.package import APP_DIR, PackageError, PackageOptions, build_manifest, build_package
from bot.settings import ROOT, Settings
from bot.teams_app.icons import color_icon, outline_icon, png_info

BOT_ID = "3c1a8b2e-5d4f-4e6a-9b7c-1d2e3f405162"
TENANT_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SCHEMA = json.loads((APP_DIR / "schema" / "MicrosoftTeams.schema.json").read_text(encoding="utf-8"))
TEMPLATE_TEXT = (APP_DIR / "manifest.template.json").read_text(encoding="utf-8")
L10N_SCHEMA = json.loads((APP_DIR / "schema" / "MicrosoftTeams.Localization.schema.json").read_text(encoding="utf-8"))


def settings(**overrides) -> Settings:
    values = {"app_id": BOT_ID, "app_type": "SingleTenant", "app_tenant_id": TENANT_ID,
              "public_base_url": "https://kkr-bot.example.dk"}
    values.update(overrides)
    return Settings(**values)


def validate(instance: dict, schema: dict) -> None:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.fixture
def package(tmp_path):
    out = build_package(settings(), tmp_path / "app.zip", PackageOptions(version="1.2.3"))
    with zipfile.ZipFile(out) as zf:
        yield {name: zf.read(name) for name in zf.namelist()}


def test_package_holds_manifest_localization_and_icons(package):
    assert sorted(package) == ["color.png", "en.json", "manifest.json", "outline.png"]


def test_manifest_is_valid_against_the_published_schema(package):
    manifest = json.loads(package["manifest.json"])
    assert manifest["manifestVersion"] == SCHEMA["properties"]["manifestVersion"]["const"]
    validate(manifest, SCHEMA)
    validate(json.loads(package["en.json"]), L10N_SCHEMA)


def test_manifest_names_the_single_tenant_bot_in_all_scopes(package):
    manifest = json.loads(package["manifest.json"])
    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID and manifest["id"] == BOT_ID and manifest["version"] == "1.2.3"
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert manifest["validDomains"] == ["kkr-bot.example.dk"]


def test_commands_in_danish_and_english(package):
    manifest = json.loads(package["manifest.json"])
    english = json.loads(package["en.json"])
    (commands,) = manifest["bots"][0]["commandLists"]
    assert set(commands["scopes"]) == {"personal", "team", "groupChat"}
    danish = [c["title"] for c in commands["commands"]]
    assert danish == ["Hjælp", "Find kontakt", "Indberet", "Nyt dagsordenspunkt"]
    titles = [english[f"bots[0].commandLists[0].commands[{i}].title"] for i in range(len(danish))]
    assert titles == ["Help", "Find contact", "Report sexism", "New agenda item"]
    assert manifest["localizationInfo"] == {"defaultLanguageTag": "da",
                                            "additionalLanguages": [{"languageTag": "en", "file": "en.json"}]}
    # every localized key points at something the manifest has
    for key in english:
        if key.startswith("bots[0]"):
            i = int(key.split("commands[")[1].split("]")[0])
            assert i < len(commands["commands"])


def test_icons_have_the_sizes_teams_requires(package):
    assert png_info(package["color.png"])[:2] == (192, 192)
    width, height, colour_type = png_info(package["outline.png"])
    assert (width, height) == (32, 32) and colour_type == 6  # RGBA: the outline needs a transparent background


def test_outline_icon_is_white_on_transparent():
    import zlib

    data = (APP_DIR / "outline.png").read_bytes()
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8])
    pixels = [raw[y * 129 + 1 + x * 4: y * 129 + 5 + x * 4] for y in range(32) for x in range(32)]
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels if p[3]), "outline pixels must be white"
    assert sum(1 for p in pixels if p[3] == 0) > 32 * 32 // 2, "most of the outline icon must be transparent"


def test_checked_in_icons_match_their_generator():
    assert (APP_DIR / "color.png").read_bytes() == color_icon()
    assert (APP_DIR / "outline.png").read_bytes() == outline_icon()


def test_local_endpoint_leaves_valid_domains_out():
    manifest = build_manifest(settings(public_base_url="http://127.0.0.1:3978"))
    assert "validDomains" not in manifest
    validate(manifest, SCHEMA)


@pytest.mark.parametrize("overrides, setting", [
    ({"app_id": ""}, "MicrosoftAppId"),
    ({"app_id": "not-a-guid"}, "MicrosoftAppId"),
    ({"app_type": "MultiTenant"}, "MicrosoftAppType"),
    ({"app_tenant_id": ""}, "MicrosoftAppTenantId"),
])
def test_bad_settings_name_the_setting_to_fix(overrides, setting):
    with pytest.raises(PackageError, match=setting):
        build_manifest(settings(**overrides))


def test_package_command_line(tmp_path):
    env = {"MicrosoftAppId": BOT_ID, "MicrosoftAppType": "SingleTenant", "MicrosoftAppTenantId": TENANT_ID,
           "PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    out = tmp_path / "kkr.zip"
    done = subprocess.run([sys.executable, "app.py", "package", "--out", str(out), "--version", "2.0.0"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("manifest.json"))["version"] == "2.0.0"
    env.pop("MicrosoftAppId")
    done = subprocess.run([sys.executable, "app.py", "package", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "MicrosoftAppId" in done.stderr


@pytest.mark.parametrize("command, locale, expected", [
    ("Hjælp", "da-DK", "KKR Nordjylland – hvad kan jeg?"),
    ("Help", "en-US", "KKR Nordjylland – what can I do?"),
    ("Find kontakt", "da-DK", "Prøv med et emne"),
    ("Find contact", "en-US", "Try a topic"),
    ("Indberet", "da-DK", "Hvilken kommune drejer det sig om?"),
    ("Report sexism", "en-US", "Which municipality is it about?"),
    ("Nyt dagsordenspunkt", "da-DK", "Passagerråd Nordjylland"),
    ("New agenda item", "en-US", "Passagerråd Nordjylland"),
])
async def test_every_command_in_the_manifest_is_understood(bot, command, locale, expected):
    """What Teams sends when a user picks a command from the list is what the bot answers."""
    titles = {c["title"] for c in json.loads(TEMPLATE_TEXT)["bots"][0]["commandLists"][0]["commands"]}
    titles |= {v for k, v in json.loads((APP_DIR / "en.json").read_text(encoding="utf-8")).items() if k.endswith(".title")}
    assert command in titles
    reply = await bot.say(command, locale=locale)
    assert expected in reply
