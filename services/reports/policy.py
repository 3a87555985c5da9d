"""Each council's reporting policy: knowledge/policies/<municipality>.yaml, validated at start-up.

A policy names the recipients by role with their Entra ID object ids, says whether anonymous reports and
the exclusion of an implicated recipient are allowed, how long closed cases are kept, and the support and
police texts. ``version`` must grow with every change; a report keeps the recipient set and policy
version it was submitted under.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from services import yamlfast
from services.municipalities import ALL as MUNICIPALITIES

ROLES = ("borgmester", "udvalgsformand", "gruppeformand", "kommunaldirektør", "hr")
_AAD = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class PolicyError(ValueError):
    """A policy file is broken; the message names the file and the field."""


@dataclass(frozen=True)
class Recipient:
    aad_id: str
    name: str
    role: str
    email: str = ""


@dataclass(frozen=True)
class Policy:
    municipality: str
    version: int
    effective: date
    recipients: tuple[Recipient, ...]
    anonymous_allowed: bool
    exclusion_allowed: bool
    retention_days: int
    retention_warning_days: int
    council_size: int
    support: dict[str, str]
    police: dict[str, str]
    administrators: tuple[str, ...] = ()
    source: str = ""

    def recipient(self, aad_id: str) -> Recipient | None:
        return next((r for r in self.recipients if r.aad_id == aad_id), None)


@dataclass
class Policies:
    by_municipality: dict[str, Policy] = field(default_factory=dict)

    def get(self, municipality: str) -> Policy | None:
        return self.by_municipality.get(municipality)

    def recipient_of(self, aad_id: str) -> list[str]:
        """The municipalities whose current policy lists ``aad_id`` as a recipient."""
        return [m for m, p in self.by_municipality.items() if aad_id and p.recipient(aad_id)]

    def is_administrator(self, aad_id: str) -> bool:
        return bool(aad_id) and any(aad_id in p.administrators for p in self.by_municipality.values())


def _need(data: dict, key: str, kind: type | tuple, where: str):  # type: ignore[no-untyped-def]
    if key not in data:
        raise PolicyError(f"{where}: missing field '{key}'")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PolicyError(f"{where}: field '{key}' has the wrong type ({type(value).__name__})")
    return value


def _texts(data: dict, key: str, where: str) -> dict[str, str]:
    value = _need(data, key, dict, where)
    if not isinstance(value.get("da"), str) or not value["da"].strip():
        raise PolicyError(f"{where}: field '{key}.da' must be a text")
    return {lang: str(value.get(lang) or value["da"]).strip() for lang in ("da", "en")}


def parse_policy(data: object, where: str) -> Policy:
    if not isinstance(data, dict):
        raise PolicyError(f"{where}: expected a mapping")
    municipality = _need(data, "municipality", str, where)
    if municipality not in MUNICIPALITIES:
        raise PolicyError(f"{where}: field 'municipality' must be one of the 11 names, got {municipality!r}")
    version = _need(data, "version", int, where)
    if version < 1:
        raise PolicyError(f"{where}: field 'version' must be >= 1")
    effective = _need(data, "effective", date, where)
    recipients = []
    for i, item in enumerate(_need(data, "recipients", list, where)):
        at = f"{where}: recipients[{i}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{at}: expected a mapping")
        aad = _need(item, "aad_id", str, at).lower()
        if not _AAD.match(aad):
            raise PolicyError(f"{at}: field 'aad_id' must be an Entra object id (a GUID)")
        role = _need(item, "role", str, at)
        if role not in ROLES:
            raise PolicyError(f"{at}: field 'role' must be one of {', '.join(ROLES)}")
        name = _need(item, "name", str, at).strip()
        if not name:
            raise PolicyError(f"{at}: field 'name' is empty")
        recipients.append(Recipient(aad, name, role, str(item.get("email") or "")))
    if not recipients:
        raise PolicyError(f"{where}: field 'recipients' needs at least one recipient")
    if len({r.aad_id for r in recipients}) != len(recipients):
        raise PolicyError(f"{where}: field 'recipients' lists the same aad_id twice")
    retention = _need(data, "retention_days", int, where)
    warning = data.get("retention_warning_days", 14)
    if not 30 <= retention <= 3650 or not isinstance(warning, int) or not 1 <= warning < retention:
        raise PolicyError(f"{where}: field 'retention_days' must be 30..3650 and larger than 'retention_warning_days'")
    admins = tuple(str(a).lower() for a in data.get("administrators") or [])
    if any(not _AAD.match(a) for a in admins) or set(admins) & {r.aad_id for r in recipients}:
        raise PolicyError(f"{where}: field 'administrators' must be GUIDs that are not also recipients")
    return Policy(
        municipality=municipality, version=version, effective=effective, recipients=tuple(recipients),
        anonymous_allowed=_need(data, "anonymous_allowed", bool, where),
        exclusion_allowed=_need(data, "exclusion_allowed", bool, where),
        retention_days=retention, retention_warning_days=warning,
        council_size=_need(data, "council_size", int, where),
        support=_texts(data, "support", where), police=_texts(data, "police", where),
        administrators=admins, source=where,
    )


def load_policies(directory: Path) -> Policies:
    """Every ``*.yaml`` in ``directory``; a broken file stops start-up naming the file and the field."""
    out = Policies()
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yamlfast.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PolicyError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
        policy = parse_policy(data, str(path))
        if policy.municipality in out.by_municipality:
            raise PolicyError(f"{path}: field 'municipality' {policy.municipality} already has a policy")
        out.by_municipality[policy.municipality] = policy
    if not out.by_municipality:
        raise PolicyError(f"{directory}: no policy files (*.yaml) found")
    return out
