"""A reporter's draft between dialogue turns: encrypted in conversation state, its key only in memory.

The conversation state row holds ciphertext; the key stays in this process and is forgotten on submit,
cancel or after ``ttl`` of silence, so nothing readable of a draft outlives it (not in the database, its
WAL or a backup). The cost: a restart in the middle of a dialogue loses the draft, and the reporter is
asked to start again. Behind several bot processes, route a conversation to one process (or use the form).
"""
from __future__ import annotations

import base64
import json
import secrets
import time

from services.reports.crypto import ReportCryptoError, open_sealed, seal


class DraftVault:
    def __init__(self, ttl_seconds: float = 3600, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.ttl, self.clock = ttl_seconds, clock
        self._keys: dict[str, tuple[bytes, float]] = {}

    def _sweep(self) -> None:
        now = self.clock()
        for draft_id in [d for d, (_, seen) in self._keys.items() if now - seen > self.ttl]:
            del self._keys[draft_id]

    def seal(self, data: dict, draft_id: str | None = None) -> dict:
        """The box to keep in conversation state: {"id", "box"}; a new draft gets a new key."""
        self._sweep()
        if draft_id is None or draft_id not in self._keys:
            draft_id = secrets.token_hex(16)
            self._keys[draft_id] = (secrets.token_bytes(32), self.clock())
        key = self._keys[draft_id][0]
        self._keys[draft_id] = (key, self.clock())
        blob = seal(key, draft_id, "draft", json.dumps(data, ensure_ascii=False).encode())
        return {"id": draft_id, "box": base64.b64encode(blob).decode()}

    def open(self, boxed: dict | None) -> dict | None:
        """The draft, or None when its key is gone (expired, restarted) or the box was altered."""
        self._sweep()
        if not isinstance(boxed, dict) or boxed.get("id") not in self._keys:
            return None
        key, _ = self._keys[boxed["id"]]
        try:
            return json.loads(open_sealed(key, boxed["id"], "draft", base64.b64decode(boxed.get("box", ""))))
        except (ReportCryptoError, ValueError):
            return None

    def discard(self, boxed: dict | None) -> None:
        if isinstance(boxed, dict):
            self._keys.pop(boxed.get("id"), None)

    def __len__(self) -> int:
        self._sweep()
        return len(self._keys)
