"""Fast paths for the conversation state table (``bot_state``): one read and one write per turn.

Through the SQLAlchemy ORM a state read plus write costs several milliseconds of CPU per turn (session,
unit of work, a thread hop per aiosqlite call). The same statements straight on the driver cost a small
fraction of that, with the same semantics as ``services.state.StateStore`` (see there):

* SQLite: a plain ``sqlite3`` connection used on the event loop. A primary-key read or a one-row write in
  WAL mode (synchronous=NORMAL, so no fsync per commit) takes tens of microseconds, far less than a
  thread hop. It never waits for a lock on the loop: ``busy_timeout`` is 0, and while another writer
  holds the lock it retries after short asynchronous sleeps (the lock is never held across an await
  here, so it is free again quickly). Another writer may be an ORM transaction, which holds the lock
  across awaits, or another process: the retries go on for about a second before ``Busy`` sends the
  caller to the ORM path, which waits in its own thread. Falling back sooner made things worse under
  load: ORM writes hold the lock longer, so every turn behind them fell back too (seen in tests/bench
  with the mixed questions). Checkpoints run in a worker thread.
* PostgreSQL: a small asyncpg pool of its own, one round trip per read or write (autocommit).

``execute`` runs one other statement the same way (``?`` placeholders; conversation references use it).
One backend per database is shared by its users: ``Database.fast``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from services.errors import ConcurrencyConflict

log = logging.getLogger(__name__)
CHECKPOINT_EVERY = 500  # writes between passive WAL checkpoints (run in a thread)
# seconds between attempts while another writer holds the lock: quick at first, then every 10 ms, ~1.1 s in all
BUSY_RETRIES = (0.0005, 0.001, 0.002, 0.004, 0.008) + (0.01,) * 108


class Busy(Exception):
    """SQLite is locked by another writer right now; use the path that may wait."""


def _body(doc: dict) -> str:
    return json.dumps({k: v for k, v in doc.items() if k != "e_tag"}, ensure_ascii=False)


class SqliteState:
    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._writes = 0
        self._checkpointing = False

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints happen in a thread, see _maybe_checkpoint
            self._conn = conn
        return self._conn

    async def read(self, keys: list[str]) -> dict[str, dict]:
        return await self._retry(self._read, keys)

    async def write(self, changes: dict[str, dict]) -> dict[str, str]:
        return await self._retry(self._write, changes)

    async def execute(self, sql: str, params: tuple) -> int:
        """One statement in autocommit; the number of rows it changed."""
        return await self._retry(lambda p: self._connection().execute(sql, p).rowcount, params)

    @staticmethod
    def timestamp(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores DateTime

    async def _retry(self, operation: Any, arg: Any) -> Any:
        for delay in BUSY_RETRIES:
            try:
                return operation(arg)
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) and "busy" not in str(err):
                    raise Busy() from err  # e.g. no table yet: the ORM path reports it properly
            await asyncio.sleep(delay)
        try:
            return operation(arg)
        except sqlite3.OperationalError as err:
            raise Busy() from err

    def _read(self, keys: list[str]) -> dict[str, dict]:
        marks = ",".join("?" * len(keys))
        rows = self._connection().execute(
            f"SELECT key, etag, data FROM bot_state WHERE key IN ({marks})", keys).fetchall()
        out = {}
        for key, etag, data in rows:
            doc = json.loads(data)
            doc["e_tag"] = etag
            out[key] = doc
        return out

    def _write(self, changes: dict[str, dict]) -> dict[str, str]:
        conn = self._connection()
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores DateTime
        tags: dict[str, str] = {}
        many = len(changes) > 1
        if many:
            conn.execute("BEGIN IMMEDIATE")
        try:
            for key, doc in changes.items():
                expected = doc.get("e_tag")
                tag = os.urandom(16).hex()  # as unique as uuid4().hex, cheaper
                if expected and expected != "*":
                    cur = conn.execute("UPDATE bot_state SET etag = ?, data = ?, updated_at = ? "
                                       "WHERE key = ? AND etag = ?", (tag, _body(doc), now, key, expected))
                    if cur.rowcount != 1:
                        raise ConcurrencyConflict(key)
                else:
                    conn.execute("INSERT INTO bot_state (key, etag, data, updated_at) VALUES (?, ?, ?, ?) "
                                 "ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, data = excluded.data, "
                                 "updated_at = excluded.updated_at", (key, tag, _body(doc), now))
                tags[key] = tag
            if many:
                conn.execute("COMMIT")
        except BaseException:
            if many and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._writes += 1
        if self._writes % CHECKPOINT_EVERY == 0:
            self._maybe_checkpoint()
        return tags

    def _maybe_checkpoint(self) -> None:
        if self._checkpointing:
            return
        self._checkpointing = True

        def checkpoint() -> None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    conn.close()
            except sqlite3.Error:
                log.warning("WAL checkpoint failed", exc_info=True)
            finally:
                self._checkpointing = False

        try:
            asyncio.get_running_loop().run_in_executor(None, checkpoint)
        except RuntimeError:  # no running loop (should not happen): do it here
            threading.Thread(target=checkpoint, daemon=True).start()

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Connections:
    """Up to ``size`` asyncpg connections, handed out one at a time.

    asyncpg's Pool costs about 85 us of CPU per acquire and release (timeouts, reset hooks, generic
    bookkeeping; measured with pool.fetchrow against conn.fetchrow), more than the statement itself. These
    connections only run the statements below in autocommit or a transaction that has ended, and never take
    advisory locks, open cursors, LISTEN or SET anything, so none of that is needed. A connection that was
    in use when anything but a stale eTag went wrong (an error, a cancelled turn) is closed, not reused.
    """

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self._slots = asyncio.Semaphore(size)
        self._idle: list[Any] = []
        self._closed = False

    async def acquire(self) -> Any:
        await self._slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
            import asyncpg

            return await asyncpg.connect(self.dsn)
        except BaseException:
            self._slots.release()
            raise

    def release(self, conn: Any, *, reusable: bool = True) -> None:
        if reusable and not self._closed and not conn.is_closed() and not conn.is_in_transaction():
            self._idle.append(conn)
        elif not conn.is_closed():
            conn.terminate()
        self._slots.release()

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            try:
                await conn.close(timeout=5)
            except Exception:  # already gone: nothing to close
                conn.terminate()


class PostgresState:
    # 20: a turn holds a connection for one statement; with 10, 32 concurrent turns queued for one
    # (p99 5.6x the floor's in tests/bench, 3x with 20). The ORM engine has up to 20 more.
    SIZE = 20

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._connections: _Connections | None = None

    async def _run(self, work: Any) -> Any:
        """``await work(conn)`` on a connection of our own."""
        if self._connections is None:
            self._connections = _Connections(self.dsn, self.SIZE)
        connections = self._connections
        conn = await connections.acquire()
        try:
            result = await work(conn)
        except ConcurrencyConflict:
            connections.release(conn)
            raise
        except BaseException:
            connections.release(conn, reusable=False)
            raise
        connections.release(conn)
        return result

    async def execute(self, sql: str, params: tuple) -> int:
        """One statement (``?`` placeholders) in autocommit; the number of rows it changed."""
        status = await self._run(lambda conn: conn.execute(_numbered(sql), *params))
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    @staticmethod
    def timestamp(moment: datetime) -> datetime:
        return moment

    async def read(self, keys: list[str]) -> dict[str, dict]:
        if len(keys) == 1:  # a turn reads one conversation: no array parameter to encode
            row = await self._run(lambda conn: conn.fetchrow(
                "SELECT key, etag, data FROM bot_state WHERE key = $1", keys[0]))
            rows = [row] if row is not None else []
        else:
            rows = await self._run(lambda conn: conn.fetch(
                "SELECT key, etag, data FROM bot_state WHERE key = ANY($1::varchar[])", keys))
        out = {}
        for row in rows:
            doc = json.loads(row["data"])
            doc["e_tag"] = row["etag"]
            out[row["key"]] = doc
        return out

    async def _write_one(self, conn: Any, key: str, doc: dict, now: datetime) -> str:
        expected = doc.get("e_tag")
        tag = os.urandom(16).hex()  # as unique as uuid4().hex, cheaper
        if expected and expected != "*":
            status = await conn.execute("UPDATE bot_state SET etag = $1, data = $2, updated_at = $3 "
                                        "WHERE key = $4 AND etag = $5", tag, _body(doc), now, key, expected)
            if status != "UPDATE 1":
                raise ConcurrencyConflict(key)
        else:
            await conn.execute("INSERT INTO bot_state (key, etag, data, updated_at) VALUES ($1, $2, $3, $4) "
                               "ON CONFLICT (key) DO UPDATE SET etag = EXCLUDED.etag, data = EXCLUDED.data, "
                               "updated_at = EXCLUDED.updated_at", key, tag, _body(doc), now)
        return tag

    async def write(self, changes: dict[str, dict]) -> dict[str, str]:
        now = datetime.now(UTC)
        if len(changes) == 1:
            ((key, doc),) = changes.items()
            return {key: await self._run(lambda conn: self._write_one(conn, key, doc, now))}

        async def all_in_one_transaction(conn: Any) -> dict[str, str]:
            async with conn.transaction():
                return {key: await self._write_one(conn, key, doc, now) for key, doc in changes.items()}

        return await self._run(all_in_one_transaction)

    async def close(self) -> None:
        if self._connections is not None:
            connections, self._connections = self._connections, None
            await connections.close()


def _numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (our statements have no other question marks)."""
    count = 0

    def number(_match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return re.sub(r"\?", number, sql)


def fast_backend(url: str) -> SqliteState | PostgresState | None:
    """The fast path for this database URL, or None where only the ORM path applies."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:") or parsed.query:
            return None
        return SqliteState(database)
    if parsed.drivername == "postgresql+asyncpg" and set(parsed.query) <= {"ssl", "sslmode"}:
        return PostgresState(parsed.set(drivername="postgresql").render_as_string(hide_password=False))
    return None
