"""docs/case-lifecycle.md lists every action of the transition table."""

from pathlib import Path

from yiwang.cases.lifecycle import ACTIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "case-lifecycle.md"


def test_every_action_is_documented():
    text = DOC.read_text()
    missing = [action for action in ACTIONS if f"`{action}`" not in text]
    assert not missing, f"docs/case-lifecycle.md does not describe: {missing}"
