"""A botbuilder Storage on SQLAlchemy, with optimistic concurrency on eTags (services.state)."""
from __future__ import annotations

from typing import Any

from botbuilder.core import Storage

from services.state import StateStore


class SqlStorage(Storage):
    """read/write/delete as botbuilder expects; a stale ``e_tag`` on write raises ConcurrencyConflict."""

    def __init__(self, store: StateStore) -> None:
        super().__init__()
        self.store = store

    async def read(self, keys: list[str]) -> dict[str, Any]:
        return await self.store.read(list(keys))

    async def write(self, changes: dict[str, Any]) -> None:
        tags = await self.store.write(changes)
        for key, tag in tags.items():
            if isinstance(changes[key], dict):
                changes[key]["e_tag"] = tag

    async def delete(self, keys: list[str]) -> None:
        await self.store.delete(list(keys))
