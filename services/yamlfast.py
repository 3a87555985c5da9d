"""``yaml.safe_load`` through libyaml (PyYAML's C loader) when it is there: the same documents and the same
error classes, several times faster, which matters for start-up with the whole knowledge base."""
from __future__ import annotations

from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - CSafeLoader/SafeLoader: safe
