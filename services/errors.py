"""Domain errors carry the key of a localized reply, never user-facing text."""
from __future__ import annotations


class DomainError(Exception):
    """A known failure; the bot renders the reply named by ``response_key`` with ``variables``."""

    def __init__(self, response_key: str, **variables: object) -> None:
        super().__init__(response_key)
        self.response_key = response_key
        self.variables = variables


class ConcurrencyConflict(DomainError):
    """Somebody else changed the same thing first (an eTag or version check failed)."""

    def __init__(self, what: str = "state") -> None:
        super().__init__("conflict", what=what)
