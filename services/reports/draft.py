"""A reporter's draft between dialogue turns, encrypted in conversation state.

Each draft has its own random key. The process that started the draft keeps the key in memory; the box
in conversation state also carries the key wrapped by the report master key, so another bot process
behind a load balancer can continue the dialogue. A draft is therefore protected exactly like a
submitted report: readable only with a master key that is never in the database. On submit or cancel
the state row is deleted (SQLite zeroes it), and a box older than ``ttl`` is refused everywhere.
"""
from __future__ import annotations

import base64
import json
import secrets
import time

from services.reports.crypto import MasterKeys, ReportCryptoError, open_sealed, seal


class DraftVault:
    def __init__(self, ttl_seconds: float = 3600, clock=time.time, keys: MasterKeys | None = None) -> None:  # type: ignore[no-untyped-def]
        self.ttl, self.clock, self.keys = ttl_seconds, clock, keys
        self._keys: dict[str, tuple[bytes, float]] = {}

    def _sweep(self) -> None:
        now = self.clock()
        for draft_id in [d for d, (_, seen) in self._keys.items() if now - seen > self.ttl]:
            del self._keys[draft_id]

    def _key(self, boxed: dict) -> bytes | None:
        draft_id = boxed.get("id")
        if draft_id in self._keys:
            return self._keys[draft_id][0]
        if self.keys is None or not isinstance(boxed.get("key"), str):
            return None
        try:  # a draft started on another process
            return self.keys.unwrap(f"draft:{draft_id}", base64.b64decode(boxed["key"]))
        except (ReportCryptoError, ValueError):
            return None

    def seal(self, data: dict, draft_id: str | None = None, boxed: dict | None = None) -> dict:
        """The box to keep in conversation state; a new draft gets a new key."""
        self._sweep()
        key = self._key(boxed) if boxed and boxed.get("id") == draft_id else None
        key = key or (self._keys[draft_id][0] if draft_id in self._keys else None)
        if draft_id is None or key is None:
            draft_id, key = secrets.token_hex(16), secrets.token_bytes(32)
        now = self.clock()
        self._keys[draft_id] = (key, now)
        stamp = str(int(now))
        blob = seal(key, draft_id, f"draft:{stamp}", json.dumps(data, ensure_ascii=False).encode())
        out = {"id": draft_id, "t": stamp, "box": base64.b64encode(blob).decode()}
        if self.keys is not None:
            out["key"] = base64.b64encode(self.keys.wrap(f"draft:{draft_id}", key)).decode()
        return out

    def open(self, boxed: dict | None) -> dict | None:
        """The draft, or None when it expired, its key is gone or the box was altered."""
        self._sweep()
        if not isinstance(boxed, dict) or not isinstance(boxed.get("t"), str) or not boxed["t"].isdigit():
            return None
        if self.clock() - int(boxed["t"]) > self.ttl:
            return None
        key = self._key(boxed)
        if key is None:
            return None
        try:
            data = json.loads(open_sealed(key, boxed["id"], f"draft:{boxed['t']}", base64.b64decode(boxed.get("box", ""))))
        except (ReportCryptoError, ValueError):
            return None
        self._keys[boxed["id"]] = (key, self.clock())
        return data

    def discard(self, boxed: dict | None) -> None:
        if isinstance(boxed, dict):
            self._keys.pop(boxed.get("id"), None)

    def __len__(self) -> int:
        self._sweep()
        return len(self._keys)
