"""The Bot Framework SDK stays at the edge: services/ and knowledge/ never import it (nor aiohttp/jinja2)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("botbuilder", "botframework", "aiohttp", "jinja2")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", ["services", "knowledge"])
def test_domain_code_does_not_import_the_bot_framework(folder):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN))
        for path in (ROOT / folder).rglob("*.py")
        if _imports(path) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_botbuilder_is_imported_only_in_bot_and_handlers():
    allowed = {"bot", "handlers", "tests"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("**/*.py")
        if ".venv" not in path.parts and "node_modules" not in path.parts
        and path.relative_to(ROOT).parts[0] not in allowed
        and _imports(path) & {"botbuilder", "botframework"}
    ]
    assert offenders == []
