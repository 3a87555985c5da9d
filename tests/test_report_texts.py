"""Report replies and notices render in both languages; notices carry no content, only the case facts."""
from __future__ import annotations

import re

import pytest
import yaml

from bot.render import LANGS, Renderer
from tests.conftest import ROOT

RESPONSES = ROOT / "knowledge" / "responses"
NOTICE_VARS = {"municipality": "Hjørring", "ref": "R-7K3M-9QXA", "ack_due": "2026-03-09",
               "feedback_due": "2026-06-02", "delete_on": "2027-03-02"}


def keys(name: str, lang: str) -> set[str]:
    return set(yaml.safe_load((RESPONSES / lang / f"{name}.yaml").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", ["Report", "ReportNotices"])
def test_same_keys_in_danish_and_english(name):
    assert keys(name, "da") == keys(name, "en")


@pytest.mark.parametrize("lang", LANGS)
def test_every_notice_renders_from_the_case_facts_alone(lang):
    renderer = Renderer(RESPONSES)
    for key in sorted(keys("ReportNotices", lang)):
        out = renderer.render("ReportNotices", key, lang, **NOTICE_VARS)
        assert out and "{{" not in out and "None" not in out
    danish = renderer.render("ReportNotices", "received", "da", **NOTICE_VARS)
    assert "9.03.2026" in danish or "09.03.2026" in danish


def test_the_notice_keys_match_what_the_service_schedules():
    source = (ROOT / "services" / "reports" / "service.py").read_text(encoding="utf-8")
    scheduled = set(re.findall(r'\("(\w+)", (?:_later|at_morning)', source))
    scheduled |= set(re.findall(r'_notify\([^)]*?"(\w+)", f"report', source))
    assert scheduled and scheduled <= keys("ReportNotices", "da")


def test_report_wiring_survives_concurrent_edits_of_shared_files():
    """Shared files are edited by several people at once; these lines must stay."""
    import services.models  # noqa: F401
    from handlers import FLOWS, HANDLERS
    from services.db import Base

    assert {"ReportStart", "ReportSubmit", "ReportFollowUp", "ReportAddInfo", "ReportList", "ReportOpen",
            "ReportAct", "ReportAudit"} <= set(HANDLERS) and "report" in FLOWS
    assert {"report_cases", "report_identities", "report_messages", "report_audit"} <= set(Base.metadata.tables)
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "services.reports = build_reports(" in app and "register_tasks(tasks, runtime.services.db)" in app
    worker = (ROOT / "bot" / "proactive.py").read_text(encoding="utf-8")
    assert "register_tasks(backend, db)" in worker  # a separate worker deletes too, without a master key
