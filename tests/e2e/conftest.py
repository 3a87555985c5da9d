"""Fixtures for the end-to-end tests: the bot and the Agents Playground on loopback, Chromium headless."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from tests.e2e import harness


def _require_prerequisites() -> None:
    missing = harness.missing_prerequisites()
    if missing:
        message = "end-to-end prerequisites missing: " + ", ".join(missing) + " (bash scripts/run-tests installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def e2e_workdir():
    with tempfile.TemporaryDirectory(prefix="kkr-e2e-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
def live_bot(e2e_workdir):
    """The bot as `python app.py run` on a loopback port, with its own SQLite database."""
    _require_prerequisites()
    proc, url = harness.start_bot(e2e_workdir)
    yield url
    harness.stop(proc)


@pytest.fixture(scope="module")
def playground(live_bot, e2e_workdir):
    proc, url = harness.start_playground(live_bot, e2e_workdir)
    yield url
    harness.stop(proc)


@pytest.fixture(scope="module")
def browser(playground):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=harness.chromium_path(), args=harness.CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def chat(browser, playground, request):
    """A fresh Playground page in the personal (1:1) chat; screenshots go to test-artifacts/playground/."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    started = time.monotonic()
    session = harness.Chat(page, harness.ARTIFACTS / "playground")
    session.open(playground)
    session.hide_log_panel()
    yield session
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        session.shot(f"FAILED-{request.node.name}")
    print(f"{request.node.name}: {time.monotonic() - started:.1f} s in the Playground")
    page.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
