"""Start the bot and the Microsoft 365 Agents Playground on loopback, and drive the Playground in Chromium."""
from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.settings import ROOT

E2E_DIR = Path(__file__).resolve().parent
PLAYGROUND_DIR = E2E_DIR / "playground"
PLAYGROUND_BIN = PLAYGROUND_DIR / "node_modules" / ".bin" / "agentsplayground"
ARTIFACTS = ROOT / "test-artifacts"
BOT_PORTS = range(3991, 4000)
PLAYGROUND_PORTS = range(56150, 56160)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing_prerequisites() -> list[str]:
    """What this machine lacks for the Playground tests (scripts/run-tests installs all of it)."""
    missing = []
    if not chromium_path():
        missing.append("chromium (apt-get install chromium)")
    if not shutil.which("node"):
        missing.append("node")
    if not PLAYGROUND_BIN.exists():
        missing.append(f"the Playground (npm ci in {PLAYGROUND_DIR.relative_to(ROOT)})")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -e '.[dev]')")
    return missing


def free_port(candidates: range) -> int:
    for port in random.sample(list(candidates), len(candidates)):  # two test runs at once rarely collide
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {candidates.start}-{candidates.stop - 1}")


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Process:
    """A child process with its log file, started now and waited for later (so several start in parallel)."""

    def __init__(self, args: list[str], log: Path, **popen) -> None:  # type: ignore[no-untyped-def]
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **popen)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        stop(self.proc)


def spawn_bot(workdir: Path, env: dict[str, str] | None = None) -> tuple[Process, str]:
    """`python app.py run` on a loopback port with its own SQLite file; returns the process and its base URL."""
    port = free_port(BOT_PORTS)
    full_env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1",
                "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'e2e-bot.db'}", "LOG_LEVEL": "WARNING"}
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        full_env.pop(name, None)  # the Playground plays an unauthenticated channel
    full_env.update(env or {})
    bot = Process([sys.executable, "app.py", "run"], workdir / f"bot-{port}.log", cwd=ROOT, env=full_env,
                  stdin=subprocess.DEVNULL)
    return bot, f"http://127.0.0.1:{port}"


def wait_bot(bot: Process, url: str, timeout: float = 90) -> None:
    try:
        wait_http(url + "/healthz", timeout, bot.proc)
    except RuntimeError as error:
        bot.stop()
        raise RuntimeError(f"the bot did not start ({error}): {bot.tail()}") from None


def spawn_playground(bot_url: str, workdir: Path) -> Process:
    """The Playground pointing at the bot; it needs a no-op xdg-open and a standard input that stays open."""
    bindir = workdir / "bin"
    bindir.mkdir(exist_ok=True)
    (bindir / "xdg-open").write_text("#!/bin/sh\nexit 0\n")
    (bindir / "xdg-open").chmod(0o755)
    # who is talking: Karen KKR, a member of the passenger council's follow-up group
    shutil.copy(PLAYGROUND_DIR / "kkr-playground.yml", workdir / ".m365agentsplayground.yml")
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    return Process([str(PLAYGROUND_BIN), "start", "-e", bot_url + "/api/messages", "-c", "msteams",
                    "-p", str(free_port(PLAYGROUND_PORTS)), "--dt"], workdir / "playground.log", cwd=workdir,
                   env=env, stdin=subprocess.PIPE)


def wait_playground(playground: Process, timeout: float = 90) -> str:
    """The Playground's address once it answers (it takes another port when the asked one is taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and playground.proc.poll() is None:
        found = re.search(r"Listening on (\d+)", playground.log.read_text(errors="replace"))
        if found:
            url = f"http://127.0.0.1:{found.group(1)}"
            try:
                wait_http(url, max(1.0, deadline - time.monotonic()), playground.proc)
                return url
            except RuntimeError:
                break
        time.sleep(0.1)
    playground.stop()
    raise RuntimeError("the Playground did not start (an invalid .m365agentsplayground.yml makes it exit "
                       "silently): " + playground.tail())


MESSAGES_JS = """() => [...document.querySelectorAll('[aria-label="Message header"]')].map(h => {
    const author = h.querySelector('[aria-label="Message author"]');
    return {bot: !!author && author.innerText.trim() === 'KKR-bot' /* bot.name in kkr-playground.yml */, text: h.parentElement.innerText};
})"""


class Chat:
    """One Playground page: type like a person, wait for the bot's reply, take screenshots."""

    def __init__(self, page, shots: Path) -> None:
        self.page, self.shots = page, shots
        shots.mkdir(parents=True, exist_ok=True)

    def open(self, url: str, chat: str = "Personal Chat") -> None:
        self.page.goto(url)
        self.page.get_by_text("Connected.").first.wait_for(timeout=30_000)
        if chat != "Personal Chat":
            self.page.get_by_text(chat, exact=True).first.click()
        self.box.wait_for(timeout=30_000)
        self.wait_for_replies(0, 1, timeout=30)  # the welcome the bot sends when the chat opens

    def hide_log_panel(self) -> None:
        """Close the Playground's developer log so screenshots show the chat as a Teams user sees it."""
        header = self.page.get_by_text("Log Panel", exact=True)
        if header.count():
            header.locator("xpath=..").get_by_role("button").last.click()

    @property
    def box(self):
        return self.page.locator("[role='textbox'][data-lexical-editor='true']").first

    def messages(self) -> list[dict]:
        """Every message in the open chat, oldest first: {"bot": bool, "text": str}."""
        return self.page.evaluate(MESSAGES_JS)

    def bot_messages(self) -> int:
        return sum(1 for m in self.messages() if m["bot"])

    def wait_for_replies(self, before: int, count: int = 1, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.bot_messages() < before + count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not answer within {timeout} s:\n{self.transcript()}")
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(500)  # let a card finish rendering (and a second message arrive)

    def say(self, text: str, replies: int = 1) -> str:
        """Type `text`, press Enter, wait for `replies` new bot messages; returns the bot's new messages' text."""
        before = len(self.messages())
        bots = self.bot_messages()
        self.box.click()
        self.box.type(text)
        self.page.keyboard.press("Enter")
        self.wait_for_replies(bots, replies)
        return self.since(before)

    def click(self, name: str, replies: int = 1) -> str:
        """Click the last button called `name` (a card action or a suggestion) and wait for the reply."""
        before = len(self.messages())
        bots = self.bot_messages()
        self.page.get_by_role("button", name=name, exact=True).last.click()
        self.wait_for_replies(bots, replies)
        return self.since(before)

    def since(self, index: int) -> str:
        return "\n\n".join(m["text"] for m in self.messages()[index:] if m["bot"])

    def transcript(self) -> str:
        return "\n\n".join(("BOT: " if m["bot"] else "USER: ") + m["text"] for m in self.messages())

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path
