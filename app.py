"""KKR Nordjylland Teams bot: create_app(settings) wires everything; main() is the command line."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from dataclasses import dataclass

from aiohttp import web

from bot.adapter import create_adapter
from bot.core import Core
from bot.logs import configure as configure_logging
from bot.recognizer import FREE_TEXT_MEMORY, QUESTION, Recognizer
from bot.render import Renderer
from bot.settings import Settings
from bot.storage import SqlStorage
from bot.teams import TeamsBot
from bot.turn import Conversation, Turn, User
from bot.web import ADAPTER, BOT, MAX_BODY, SERVICES, SETTINGS, add_routes
from handlers import FLOWS, HANDLERS
from knowledge.tables import load_tables
from services.budget import BudgetBook
from services.contacts import Directory
from services.db import Database
from services.facts import KnowledgeBase
from services.registry import Services
from services.state import StateStore

log = logging.getLogger("kkr")


@dataclass
class Runtime:
    """The wired objects one bot process shares between turns."""

    settings: Settings
    services: Services
    renderer: Renderer
    core: Core
    storage: SqlStorage

    async def start(self) -> None:
        await self.services.db.migrate()

    async def stop(self) -> None:
        await self.services.db.dispose()


def build_reports(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    from services.reports.setup import build_service  # confidential sexism reports (issue 6)

    return build_service(settings, db)


def build_runtime(settings: Settings) -> Runtime:
    db = Database(settings.db_url)
    services = Services(db=db, settings=settings)
    knowledge = settings.knowledge_dir
    services.contacts = Directory.load(knowledge / "directory")  # people, organisations, topics; validated
    services.facts = KnowledgeBase.load(knowledge)  # facts.yaml + passages/*.yaml, validated
    services.budget = BudgetBook(load_tables(knowledge / "tables"))  # tables, validated (TableError names file+field)
    from services.agenda import AgendaService, load_councils  # passenger-council agenda items (issue 7)

    services.agenda = AgendaService(db, load_councils(knowledge / "councils"), public_base_url=settings.public_base_url)
    services.reports = build_reports(settings, db)  # confidential sexism reports (issue 6)
    renderer = Renderer(knowledge / "responses")
    # With the lookup cache off (LOOKUP_CACHE_SIZE=0), repeated free questions go through hassil again too.
    core = Core(Recognizer(knowledge / "sentences", FREE_TEXT_MEMORY if settings.lookup_cache_size > 0 else 0),
                HANDLERS, FLOWS)
    if settings.lookup_cache_size > 0:  # the knowledge never changes while running: same question, same answer
        from services.memo import memoize_methods

        memoize_methods(services.facts, ("lookup",), settings.lookup_cache_size)
        memoize_methods(services.contacts, ("lookup",), settings.lookup_cache_size)
        memoize_methods(services.budget, ("answer",), settings.lookup_cache_size)
        # Template matches only: free text (a QUESTION match carries it) is recognized afresh each time.
        memoize_methods(core.recognizer, ("recognize",), settings.lookup_cache_size,
                        cache_if=lambda match: match is not None and match.intent != QUESTION)
    return Runtime(settings, services, renderer, core, SqlStorage(StateStore(db)))


def create_app(settings: Settings, runtime: Runtime | None = None) -> web.Application:
    runtime = runtime or build_runtime(settings)
    app = web.Application(client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[SERVICES] = runtime.services
    app[ADAPTER] = create_adapter(settings)
    app[BOT] = teams_bot = TeamsBot(runtime.core, runtime.storage, runtime.services, runtime.renderer)
    add_routes(app)
    from handlers import agenda_web  # public agenda pages: /passagerraad/...

    agenda_web.add_routes(app)
    from bot.proactive import TaskBackend  # task backend: notices, reminders, deadlines

    tasks = runtime.services.extra.setdefault("tasks", TaskBackend(settings, runtime.services.db, runtime.renderer))
    teams_bot.reference_sinks.append(tasks.remember_reference)
    if runtime.services.reports is not None:  # closed reports are deleted on their retention day by a task
        from services.reports.setup import register_tasks

        register_tasks(tasks, runtime.services.db)

    async def lifecycle(_app: web.Application):  # type: ignore[no-untyped-def]
        await runtime.start()
        if settings.run_worker_in_process:
            tasks.start_worker()
        yield
        await tasks.stop()
        await runtime.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


async def console_turn(runtime: Runtime, conversation_id: str, text: str) -> list[str]:
    """Run one message through the same Core as Teams, with state in the same database."""
    key = f"console/conversations/{conversation_id}"
    stored = (await runtime.storage.read([key])).get(key, {})
    etag = stored.pop("e_tag", None)
    from bot.language import detect_language

    turn = Turn(text=text, lang=detect_language(text), user=User(id="console", name="Console"),
                conversation=Conversation(id=conversation_id), services=runtime.services,
                renderer=runtime.renderer, state=stored, activity_id=uuid.uuid4().hex)
    await runtime.core.handle(turn)
    await runtime.storage.write({key: {**turn.state, "e_tag": etag}})
    out = []
    for reply in turn.replies:
        parts = [reply.text or ""]
        if reply.card:
            from bot.cardtext import card_to_text

            parts.append(card_to_text(reply.card))
        if reply.suggestions:
            parts.append("  [" + "] [".join(reply.suggestions) + "]")
        out.append("\n".join(p for p in parts if p))
    return out


async def _console(settings: Settings, question: str | None) -> None:
    runtime = build_runtime(settings)
    await runtime.start()
    try:
        conversation = uuid.uuid4().hex
        if question is not None:
            print("\n\n".join(await console_turn(runtime, conversation, question)))
            return
        print("KKR-bot (skriv 'exit' for at stoppe)")
        while True:
            try:
                text = await asyncio.to_thread(input, "> ")
            except EOFError:
                break
            if text.strip().lower() in {"exit", "quit"}:
                break
            print("\n\n".join(await console_turn(runtime, conversation, text)))
    finally:
        await runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="KKR Nordjylland Teams bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="serve the bot (default)")
    sub.add_parser("chat", help="talk to the bot in this terminal")
    ask = sub.add_parser("ask", help="ask one question and print the answer")
    ask.add_argument("question")
    sub.add_parser("migrate", help="apply database migrations")
    package = sub.add_parser("package", help="build the Teams app package (zip) from MicrosoftAppId")
    package.add_argument("--out", default=None, help="where to write the zip (default dist/kkr-bot-teams.zip)")
    package.add_argument("--version", default=None, help="app version, e.g. 1.0.1 (default TEAMS_APP_VERSION or 1.0.0)")
    from bot import proactive

    proactive.add_commands(sub)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    command = args.command or "run"
    if command == "run":
        settings.check_listen_address()
        web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None,
                    print=lambda *_: log.info("listening on http://%s:%s", settings.host, settings.port))
    elif command in ("chat", "ask"):
        logging.getLogger().setLevel(logging.WARNING)
        asyncio.run(_console(settings, getattr(args, "question", None)))
    elif command == "migrate":
        async def _migrate() -> None:
            db = Database(settings.db_url)
            await db.migrate()
            await db.dispose()
        asyncio.run(_migrate())
    elif command == "package":
        import os
        from pathlib import Path

        from bot.package import DEFAULT_OUT, PackageError, PackageOptions, build_package
        try:
            out = build_package(settings, Path(args.out) if args.out else DEFAULT_OUT,
                                PackageOptions.from_env(dict(os.environ), args.version))
        except PackageError as error:
            raise SystemExit(f"Cannot build the Teams app package: {error}") from None
        print(out)
    elif command == "worker":
        asyncio.run(proactive.run_worker_command(settings, args))
    elif command == "tasks":
        print(asyncio.run(proactive.tasks_command(settings, args)))
    else:  # pragma: no cover - argparse already refused it
        parser.error(f"unknown command {command}")
        sys.exit(2)


if __name__ == "__main__":
    main()
