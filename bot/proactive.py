"""Proactive delivery: Teams messages from stored conversation references, e-mail as the fallback.

``ProactiveSender`` POSTs an activity to ``{serviceUrl}/v3/conversations/{id}/activities`` over one shared
aiohttp ClientSession, with a Bot Framework token when MicrosoftAppId is set and none locally.
``NotifyHandler`` delivers "notify" tasks (the contract in the team brief): it renders the template in
the recipient's language and sends it in Teams, or by e-mail when the person cannot be reached there.
``TaskBackend`` wires the worker with its handlers, in the bot process or in ``python app.py worker``.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp
from jinja2 import TemplateError

from bot.render import Renderer
from bot.settings import Settings
from services.conversation_refs import ConversationRefs, StoredRef
from services.db import Database
from services.mailer import Mailer
from services.tasks import utcnow
from services.worker import (
    Clock,
    Delivered,
    PermanentError,
    RetryableError,
    TaskContext,
    Worker,
    WorkerConfig,
)

log = logging.getLogger("kkr.proactive")
UNREACHABLE = {400, 403, 404, 410}  # the bot was removed, blocked, or the conversation is gone


class TeamsUnreachable(Exception):
    """The connector says this person cannot be reached in this conversation."""

    def __init__(self, status: int) -> None:
        super().__init__(f"Teams connector answered HTTP {status}")
        self.status = status


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or utcnow())).total_seconds())


class ProactiveSender:
    """Sends activities to the Bot Framework connector; one ClientSession for the whole process."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession | None = None,
                 timeout: float = 30.0) -> None:
        self.settings = settings
        self._session = session
        self._own_session = session is None
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._credentials: Any = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()

    async def _token(self, tenant_id: str | None) -> str | None:
        if not self.settings.app_id:
            return None
        if self._credentials is None:
            from botframework.connector.auth import MicrosoftAppCredentials

            tenant = self.settings.app_tenant_id if self.settings.app_type == "SingleTenant" else None
            self._credentials = MicrosoftAppCredentials(self.settings.app_id, self.settings.app_password,
                                                        channel_auth_tenant=tenant or None)
        try:  # MSAL caches the token; a network call happens about once an hour
            return await asyncio.to_thread(self._credentials.get_access_token)
        except PermissionError as exc:
            raise RetryableError("could not get a Bot Framework token") from exc

    async def send(self, ref: StoredRef, activity: dict[str, Any]) -> str:
        """POST the activity into the stored conversation; returns the activity id the connector gave it."""
        if self.settings.app_id and not _safe_for_token(ref.service_url):
            raise PermanentError("refusing to send a Bot Framework token to a non-https service URL")
        token = await self._token(ref.tenant_id)
        url = f"{ref.service_url.rstrip('/')}/v3/conversations/{quote(ref.conversation_id, safe=':@;=')}/activities"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        session = await self.session()
        try:
            async with session.post(url, json=activity, headers=headers) as response:
                if response.status in (200, 201, 202):
                    try:
                        body = await response.json(content_type=None)
                    except ValueError:
                        body = {}
                    return str((body or {}).get("id") or "")
                if response.status == 429:
                    raise RetryableError("Teams connector answered HTTP 429 (throttled)",
                                         parse_retry_after(response.headers.get("Retry-After")))
                if response.status >= 500 or response.status in (401, 408):
                    raise RetryableError(f"Teams connector answered HTTP {response.status}",
                                         parse_retry_after(response.headers.get("Retry-After")))
                if response.status in UNREACHABLE:
                    raise TeamsUnreachable(response.status)
                raise PermanentError(f"Teams connector answered HTTP {response.status}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RetryableError(f"Teams connector not reachable ({type(exc).__name__})") from exc


def _safe_for_token(url: str) -> bool:
    """https, or plain http on loopback (the Bot Framework Emulator, a local stand-in)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def notice_activity(ref: StoredRef, text: str, card: dict | None) -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "text": text,
        "textFormat": "markdown",
        "from": {"id": ref.bot_id or "", "name": ref.bot_name or ""},
        "recipient": {"id": ref.user_id},
        "conversation": {"id": ref.conversation_id},
        "channelData": {"notification": {"alert": True}},
    }
    if ref.tenant_id:
        activity["conversation"]["tenantId"] = ref.tenant_id
    if card:
        activity["attachments"] = [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]
    return activity


class NotifyHandler:
    """Delivers one "notify" task: Teams first, e-mail when Teams cannot reach the person."""

    def __init__(self, renderer: Renderer, refs: ConversationRefs, sender: ProactiveSender, mailer: Mailer) -> None:
        self.renderer, self.refs, self.sender, self.mailer = renderer, refs, sender, mailer

    def _render(self, intent: str, key: str, lang: str, variables: dict) -> str:
        if not (self.renderer.has(intent, key, lang) or self.renderer.has(intent, key, "da")):
            raise PermanentError(f"unknown template {intent}/{key}")
        try:
            return self.renderer.render(intent, key, lang, **variables)
        except TemplateError as exc:
            raise PermanentError(f"template {intent}/{key} could not be rendered ({type(exc).__name__})") from exc

    async def __call__(self, ctx: TaskContext) -> Delivered:
        p = ctx.payload
        recipient = p.get("recipient") if isinstance(p.get("recipient"), dict) else {}
        template = p.get("template")
        if not (isinstance(template, list | tuple) and len(template) == 2 and all(isinstance(x, str) for x in template)):
            raise PermanentError("payload.template must be [intent, key]")
        variables = p.get("vars") if isinstance(p.get("vars"), dict) else {}
        card = p.get("card") if isinstance(p.get("card"), dict) else None
        ref = await self.refs.find(aad_id=recipient.get("aad_id") or None, user_id=recipient.get("user_id") or None)
        lang = (ref.lang if ref and ref.lang else None) or p.get("lang") or "da"
        lang = lang if lang in ("da", "en") else "da"
        text = self._render(template[0], template[1], lang, variables)
        email = recipient.get("email") if isinstance(recipient.get("email"), str) else None
        teams_status = None
        if ref is not None:
            try:
                activity_id = await self.sender.send(ref, notice_activity(ref, text, card))
                return Delivered("teams", activity_id)
            except TeamsUnreachable as exc:
                log.info("task %s: recipient not reachable in Teams (HTTP %s); falling back to e-mail",
                         ctx.id, exc.status)
                teams_status = exc.status
                if exc.status in (404, 410):
                    await self.refs.forget(ref.user_id)
            except RetryableError:
                if not (email and ctx.attempt >= ctx.max_attempts and self.mailer.configured):
                    raise
                log.warning("task %s: Teams still failing on the last attempt; falling back to e-mail", ctx.id)
        if email and (self.mailer.configured or teams_status is not None):
            subject_key = template[1] + "_subject"
            if self.renderer.has(template[0], subject_key, lang) or self.renderer.has(template[0], subject_key, "da"):
                subject = self._render(template[0], subject_key, lang, variables)
            else:
                subject = self._render("Notices", "email_subject", lang, {})
            subject = " ".join(subject.split())[:200]  # one header line, whatever the template holds
            body = text
            if card:
                from bot.cardtext import card_to_text

                body = "\n\n".join(part for part in (text, card_to_text(card)) if part)
            body += "\n\n-- \n" + self._render("Notices", "email_footer", lang, {})
            message_id = await self.mailer.send(email, subject, body, idempotency_key=ctx.idempotency_key)
            return Delivered("email", message_id)
        if teams_status is not None:
            raise PermanentError(f"the recipient cannot be reached: Teams answered HTTP {teams_status} "
                                 "and there is no e-mail address")
        # Nobody to send to yet: the person may write to the bot (storing a reference) any minute, e.g.
        # a notice queued during their very first turn. Retried with backoff; dead after the last try.
        raise RetryableError("the recipient cannot be reached yet: no Teams conversation"
                             + (" and e-mail is not configured" if email else " and no e-mail address"))


class TaskBackend:
    """The worker with its handlers and the resources they share (one HTTP session, one mailer)."""

    def __init__(self, settings: Settings, db: Database, renderer: Renderer, *, clock: Clock = utcnow,
                 config: WorkerConfig | None = None, http: aiohttp.ClientSession | None = None) -> None:
        self.settings, self.db = settings, db
        self.refs = ConversationRefs(db)
        self.sender = ProactiveSender(settings, http)
        self.mailer = Mailer.from_settings(settings)
        self.notify = NotifyHandler(renderer, self.refs, self.sender, self.mailer)
        self.worker = Worker(db, {"notify": self.notify}, clock=clock, config=config or WorkerConfig())
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    def add_handler(self, kind: str, handler) -> None:  # type: ignore[no-untyped-def]
        """Other areas may register their own task kinds (async def h(ctx) -> Delivered | None)."""
        self.worker.handlers[kind] = handler

    async def remember_reference(self, reference: dict) -> None:
        """A TeamsBot reference sink: never lets a storage hiccup disturb the turn."""
        try:
            await self.refs.remember(reference)
        except Exception:
            log.warning("could not store a conversation reference", exc_info=True)

    def start_worker(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.worker.run(self._stop), name="task-worker")

    async def run(self, stop: asyncio.Event) -> None:
        await self.worker.run(stop)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=35)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            self._task = None
        await self.sender.close()


# -- command line: `python app.py worker` and `python app.py tasks ...` -------------------------------
def add_commands(sub) -> None:  # type: ignore[no-untyped-def]
    worker = sub.add_parser("worker", help="deliver queued tasks (run several against PostgreSQL)")
    worker.add_argument("--concurrency", type=int, default=10, help="tasks in flight at once (default 10)")
    worker.add_argument("--batch", type=int, default=20, help="tasks claimed per query (default 20)")
    worker.add_argument("--lease", type=float, default=120.0,
                        help="seconds before a claimed task whose worker died is retried (default 120)")
    worker.add_argument("--send-timeout", type=float, default=60.0,
                        help="seconds an attempt may be in flight before it counts as ended (default 60)")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between looks at an idle queue")
    tasks = sub.add_parser("tasks", help="administrator view of the task queue")
    tasks.add_argument("action", choices=["dead", "retry", "stats", "purge"],
                       help="dead: list dead-lettered tasks; retry [ID]: queue dead tasks again; stats: counts; "
                            "purge: delete finished tasks older than --days")
    tasks.add_argument("task_id", nargs="?", type=int)
    tasks.add_argument("--days", type=int, default=90, help="purge: keep finished tasks this many days (90)")


async def run_worker_command(settings: Settings, args) -> None:  # type: ignore[no-untyped-def]
    import signal

    db = Database(settings.db_url)
    await db.migrate()
    config = WorkerConfig(concurrency=max(1, args.concurrency), batch=max(1, args.batch),
                          lease=timedelta(seconds=args.lease), send_timeout=timedelta(seconds=args.send_timeout),
                          poll_seconds=max(0.05, args.poll))
    backend = TaskBackend(settings, db, Renderer(settings.knowledge_dir / "responses"), config=config)
    from services.reports.setup import register_tasks  # report retention deletions (no key needed)

    register_tasks(backend, db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await backend.run(stop)
    finally:
        await backend.stop()
        await db.dispose()


async def tasks_command(settings: Settings, args) -> str:  # type: ignore[no-untyped-def]
    from services import tasks
    from services.worker import dead_report

    db = Database(settings.db_url)
    try:
        await db.migrate()
        if args.action == "dead":
            return await dead_report(db)
        if args.action == "retry":
            async with db.sessions() as session, session.begin():
                n = await tasks.retry_dead(session, args.task_id)
            return f"queued {n} dead task(s) again"
        if args.action == "purge":
            async with db.sessions() as session, session.begin():
                n = await tasks.purge(session, utcnow() - timedelta(days=max(0, args.days)))
            return f"purged {n} finished task(s)"
        from sqlalchemy import func, select

        async with db.sessions() as session:
            rows = (await session.execute(select(tasks.Task.kind, tasks.Task.status, func.count())
                                          .group_by(tasks.Task.kind, tasks.Task.status))).all()
        return "\n".join(f"{kind} {status}: {n}" for kind, status, n in sorted(rows)) or "no tasks"
    finally:
        await db.dispose()
