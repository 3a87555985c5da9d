"""The console mode runs the same bot in-process: `python app.py ask "..."`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ask_answers_one_question_in_process(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    out = subprocess.run([sys.executable, "app.py", "ask", "hjælp"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Find kontakt" in out.stdout and "Indberet" in out.stdout


def test_chat_keeps_the_conversation_until_exit(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}"}
    out = subprocess.run([sys.executable, "app.py", "chat"], cwd=ROOT, env=env, capture_output=True, text=True,
                         input="help\nannuller\nexit\n", timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Find contact" in out.stdout
    assert "ikke noget at annullere" in out.stdout
