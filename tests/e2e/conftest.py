"""Fixtures for the end-to-end tests: the bot and the Agents Playground on loopback, Chromium headless."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e import harness

SHOTS = harness.ARTIFACTS / "playground"


def _require_prerequisites() -> None:
    missing = harness.missing_prerequisites()
    if missing:
        message = "end-to-end prerequisites missing: " + ", ".join(missing) + " (bash scripts/run-tests installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def playground():
    """The bot (`python app.py run`, its own SQLite file) and the Playground in front of it, both on loopback."""
    _require_prerequisites()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kkr-e2e-") as tmp:
        workdir = Path(tmp)
        bot, bot_url = harness.spawn_bot(workdir)
        ui = harness.spawn_playground(bot_url, workdir)  # starts while the bot loads its knowledge
        try:
            harness.wait_bot(bot, bot_url)
            url = harness.wait_playground(ui)
            print(f"\nbot and Playground up in {time.monotonic() - started:.1f} s")
            yield url
        finally:
            ui.stop()
            bot.stop()


@pytest.fixture(scope="module")
def browser(playground):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=harness.chromium_path(), args=harness.CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def chat_page(browser, playground):
    """One Playground page on the 1:1 chat for the module (opening one costs seconds); tests continue it."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="da-DK")
    session = harness.Chat(page, SHOTS)
    started = time.monotonic()
    session.open(playground)
    session.hide_log_panel()
    print(f"Playground page open with the bot's welcome in {time.monotonic() - started:.1f} s")
    yield session
    page.close()


@pytest.fixture
def chat(chat_page, request):
    """The chat; a failed step leaves a FAILED-<test>.png and cancels whatever flow it left open."""
    yield chat_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        chat_page.shot(f"FAILED-{request.node.name}")
        try:
            chat_page.say("annuller")
        except Exception as error:  # the bot may be what failed; the next test says so itself
            print(f"could not cancel after the failure: {error}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
