"""A bounded cache for pure lookups in the knowledge base, which does not change while the bot runs.

The answerers' lookups (facts and passages, contacts, budget tables) cost milliseconds of CPU per
question, most of a turn; forty people asking the same question in a council meeting need it computed
once. ``memoize`` wraps a function whose result depends only on its arguments: results are kept in an
LRU of ``size`` entries (keyed by the arguments as JSON) and every caller gets its own copy of the result
and of its containers one level down (a dataclass's lists, dicts and sets; a dict's values), so a caller
that adds to or reorders its result cannot change anybody else's. Deeper objects are shared, as the
knowledge base's own objects always were: callers treat them as read-only (a full deep copy per hit cost
more than the rest of the turn). Keys are SHA-256 digests, so the cache keeps no user text
as keys; ``cache_if`` can keep results out (the recognizer caches template matches, never free text).
``LOOKUP_CACHE_SIZE=0`` turns it off.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

_MISS = object()
_CONTAINERS = (list, dict, set)


def _fresh(value: Any) -> Any:
    """``value`` with its own top-level containers (see the module docstring)."""
    if isinstance(value, _CONTAINERS):
        return type(value)(value)
    fields = getattr(value, "__dict__", None)
    if fields is not None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        clone = object.__new__(type(value))  # copy.copy without __reduce_ex__; frozen dataclasses too
        clone.__dict__.update({k: type(v)(v) if isinstance(v, _CONTAINERS) else v for k, v in fields.items()})
        return clone
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # __slots__ dataclasses
        clone = copy.copy(value)
        for f in dataclasses.fields(value):
            inner = getattr(value, f.name)
            if isinstance(inner, _CONTAINERS):
                object.__setattr__(clone, f.name, type(inner)(inner))
        return clone
    return value


def _key(args: tuple, kwargs: dict) -> bytes | None:
    try:
        text = json.dumps([args, kwargs], sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):  # an argument that is not plain data: do not cache
        return None
    return hashlib.sha256(text.encode("utf-8")).digest()


def memoize(fn: Callable[..., Any], size: int = 1024,
            cache_if: Callable[[Any], bool] | None = None) -> Callable[..., Any]:
    """``fn`` with an LRU cache of ``size`` results; ``wrapper.cache_info()`` gives hits and misses."""
    cache: OrderedDict[bytes, Any] = OrderedDict()
    stats = {"hits": 0, "misses": 0}

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = _key(args, kwargs)
        if key is None:
            return fn(*args, **kwargs)
        entry = cache.get(key, _MISS)
        if entry is _MISS:
            stats["misses"] += 1
            value = fn(*args, **kwargs)
            if cache_if is not None and not cache_if(value):
                return value
            cache[key] = _fresh(value)
            if len(cache) > size:
                cache.popitem(last=False)
            return value  # the first caller gets the original; the cache keeps its own containers
        stats["hits"] += 1
        cache.move_to_end(key)
        return _fresh(entry)

    wrapper.cache_info = lambda: {**stats, "size": len(cache)}  # type: ignore[attr-defined]
    wrapper.cache_clear = cache.clear  # type: ignore[attr-defined]
    return wrapper


def memoize_methods(obj: Any, names: tuple[str, ...], size: int = 1024,
                    cache_if: Callable[[Any], bool] | None = None) -> None:
    """Replace ``obj.<name>`` (bound methods of an object that never changes) with memoized ones."""
    for name in names:
        method = getattr(obj, name, None)
        if callable(method):
            setattr(obj, name, memoize(method, size, cache_if))
