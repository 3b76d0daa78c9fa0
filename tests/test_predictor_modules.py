"""The predictor's modules import one way: net <- train <- estimator <- backtest / scoring <- workspace."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "models" / "predictor"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions (``from . import x`` resolved)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(["models", "predictor"][: 3 - node.level] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize("module, forbidden", [
    ("net", ("train", "estimator", "backtest", "scoring", "workspace")),
    ("train", ("estimator", "backtest", "scoring", "workspace")),
    ("estimator", ("backtest", "scoring", "workspace")),
    ("backtest", ("scoring", "workspace")),
    ("scoring", ("backtest", "workspace", "train")),
    ("card", ("net", "train", "estimator", "backtest", "scoring", "workspace")),
])
def test_module_imports_only_the_layers_below(module, forbidden):
    mods = imported_modules(PKG / f"{module}.py")
    bad = sorted(m for m in mods for f in forbidden if m == f"models.predictor.{f}" or m.startswith(f"models.predictor.{f}."))
    assert not bad, f"models/predictor/{module}.py imports {bad}"


def test_card_and_package_do_not_load_torch():
    # the offline planner and the CLI's backtest view read these without paying for torch
    for name in ("card.py", "__init__.py"):
        assert not {m for m in imported_modules(PKG / name) if m.split(".")[0] in ("torch", "sklearn")}
