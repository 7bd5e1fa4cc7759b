"""The structure holds: layers only look down (the import-linter contracts in pyproject.toml), and no
app reaches into another's private helpers (a name with a leading underscore)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import yiwang

PACKAGE = pathlib.Path(yiwang.__file__).parent


def _app_of(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else ""


def test_import_contracts_hold():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Contracts: " in result.stdout and " broken" in result.stdout and " 0 broken" in result.stdout


def test_no_app_imports_another_apps_private_names():
    reaches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        app = _app_of(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not (node.module or "").startswith("yiwang."):
                continue
            target = node.module.split(".")[1]
            private = [alias.name for alias in node.names if alias.name.startswith("_")]
            if target != app and private:
                reaches.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.module} {private}")
    assert reaches == []
