"""Fast JSON <-> botbuilder model conversion, equal to msrest's result for the shapes Teams sends.

``Activity().deserialize(body)`` and ``activity.serialize()`` go through msrest's generic machinery and
cost about 0.3 ms and 1 ms per activity on the test machine: more than the rest of a turn. These
functions walk each model's ``_attribute_map`` with a plan compiled once per class and build exactly
what msrest builds (tests/test_edge.py compares them on real Teams payloads). Anything outside the
plain shapes (a value of an unexpected type, a type this module does not know) falls back to msrest,
so the result is never different, only sometimes not faster.
"""
from __future__ import annotations

import datetime
from typing import Any

from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

_SCALARS = {"str": str, "bool": bool}
_MODELS: dict[str, type] = {}
_PLANS: dict[type, tuple] = {}
_TEMPLATES: dict[type, dict] = {}
_KEYS: dict[type, frozenset[str]] = {}


class _Fallback(Exception):
    """The fast path does not handle this value; msrest will."""


def _models() -> dict[str, type]:
    if not _MODELS:
        import botbuilder.schema as schema
        import botbuilder.schema.teams as teams_schema

        for module in (schema, teams_schema):
            for name in dir(module):
                obj = getattr(module, name)
                if isinstance(obj, type) and issubclass(obj, Model):
                    _MODELS.setdefault(name, obj)
    return _MODELS


def _plan(cls: type) -> tuple:
    """(key, attr, kind, arg) per attribute: kind is 'scalar', 'object', 'iso', 'model', 'list'."""
    plan = _PLANS.get(cls)
    if plan is None:
        if cls._subtype_map or any(v.get("readonly") or v.get("constant") for v in cls._validation.values()):
            raise _Fallback(cls.__name__)
        models = _models()
        entries = []
        for attr, desc in cls._attribute_map.items():
            key, kind_name = desc["key"], desc["type"]
            if not key or "." in key:
                raise _Fallback(cls.__name__)
            if kind_name in _SCALARS:
                entries.append((key, attr, "scalar", _SCALARS[kind_name]))
            elif kind_name == "object":
                entries.append((key, attr, "object", None))
            elif kind_name == "iso-8601":
                entries.append((key, attr, "iso", None))
            elif kind_name in models:
                entries.append((key, attr, "model", models[kind_name]))
            elif kind_name.startswith("[") and kind_name.endswith("]"):
                inner = kind_name[1:-1]
                if inner in _SCALARS:
                    entries.append((key, attr, "list", ("scalar", _SCALARS[inner])))
                elif inner in models:
                    entries.append((key, attr, "list", ("model", models[inner])))
                else:
                    entries.append((key, attr, "unknown", kind_name))
            else:
                entries.append((key, attr, "unknown", kind_name))
        plan = _PLANS[cls] = tuple(entries)
        _KEYS[cls] = frozenset(entry[0] for entry in entries)
        _TEMPLATES[cls] = {k: v for k, v in cls().__dict__.items() if k != "additional_properties"}
        if any(v is not None for v in _TEMPLATES[cls].values()):
            raise _Fallback(cls.__name__)
    return plan


# ---- JSON -> model ---------------------------------------------------------------------------------

def _load(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Fallback(cls.__name__)
    plan = _plan(cls)
    values = dict(_TEMPLATES[cls])
    known = 0
    for key, attr, kind, arg in plan:
        raw = data.get(key)
        if key in data:
            known += 1
        if raw is None:
            continue
        if kind == "scalar":
            if type(raw) is not arg:
                raise _Fallback(key)
            values[attr] = raw
        elif kind == "object":
            values[attr] = raw
        elif kind == "model":
            values[attr] = _load(arg, raw)
        elif kind == "iso":
            if not isinstance(raw, str):
                raise _Fallback(key)
            values[attr] = Deserializer.deserialize_iso(raw)
        elif kind == "list":
            if not isinstance(raw, list):
                raise _Fallback(key)
            inner_kind, inner = arg
            if inner_kind == "scalar":
                if any(type(x) is not inner for x in raw):
                    raise _Fallback(key)
                values[attr] = list(raw)
            else:
                values[attr] = [None if x is None else _load(inner, x) for x in raw]
        else:
            raise _Fallback(key)
    obj = cls.__new__(cls)
    obj.__dict__.update(values)
    if known != len(data):
        keys = _KEYS[cls]
        obj.additional_properties = {k: v for k, v in data.items() if k not in keys}
    else:
        obj.additional_properties = {}
    return obj


def activity_from_dict(body: dict) -> Activity:
    """``Activity().deserialize(body)``, fast for the activities Teams sends."""
    try:
        return _load(Activity, body)
    except _Fallback:
        return Activity().deserialize(body)


# ---- model -> JSON ---------------------------------------------------------------------------------

_ISO = Serializer.serialize_iso


def _dump(obj: Any) -> dict:
    cls = type(obj)
    out: dict[str, Any] = {}
    for key, attr, kind, arg in _plan(cls):
        value = getattr(obj, attr, None)
        if value is None:
            continue
        if kind == "scalar":
            if arg is str:
                if type(value) is not str:
                    value = getattr(value, "value", value)  # an Enum member, as msrest does
                    if type(value) is not str:
                        raise _Fallback(key)
            elif type(value) is not arg:
                raise _Fallback(key)
            out[key] = value
        elif kind == "object":
            if isinstance(value, Model):
                out[key] = _dump(value)
            else:
                out[key] = value  # JSON-native data; json.dumps refuses anything else and we fall back
        elif kind == "model":
            if not isinstance(value, Model):
                raise _Fallback(key)
            out[key] = _dump(value)
        elif kind == "iso":
            if not isinstance(value, datetime.datetime):
                raise _Fallback(key)
            out[key] = _ISO(value)
        elif kind == "list":
            if not isinstance(value, list):
                raise _Fallback(key)
            inner_kind, inner = arg
            if inner_kind == "scalar":
                if any(type(x) is not inner for x in value):
                    raise _Fallback(key)
                out[key] = list(value)
            else:
                out[key] = [None if x is None else _dump(x) for x in value]
        else:
            raise _Fallback(key)
    return out


def to_dict(model: Model) -> dict:
    """``model.serialize()``, fast for activities and conversation references of plain shapes.

    ``object`` fields (card content, channel data, value) are passed through as they are; the caller
    serializes the result with json.dumps and, if that refuses a value, uses ``model.serialize()``.
    """
    try:
        return _dump(model)
    except _Fallback:
        return model.serialize()
