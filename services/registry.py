"""The services a turn can reach; built once in app.create_app and shared by every turn."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.db import Database


@dataclass
class Services:
    db: Database
    settings: Any = None
    contacts: Any = None  # the contact directory
    agenda: Any = None  # passenger-council agenda items (services.agenda.AgendaService)
    reports: Any = None  # confidential sexism reports (services.reports.ReportService)
    facts: Any = None  # curated facts and document passages (services.facts.KnowledgeBase)
    budget: Any = None  # structured tables and budget answers (services.budget.BudgetBook)
    extra: dict[str, Any] = field(default_factory=dict)
