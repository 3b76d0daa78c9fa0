"""The layers import one way only: no cycle among the product's modules, function-level imports included.

The graph is read from the source with ``ast`` (nothing is imported), so an import hidden inside a function
counts like one at the top of a module: a function-level import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("assistant", "tools", "models", "ui", "prompts")
# a layer may import only from the layers before it; the command line is the outermost edge: it composes the
# others (``mka chat`` launches the UI), so it sits after ui
LAYER = {"models": 0, "prompts": 0, "tools": 1, "assistant": 2, "ui": 3, "assistant.commands": 4, "assistant.cli": 4}
ENV_READ = re.compile(r"\bos\.(environ|getenv|putenv|unsetenv)\b")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            out[_module_name(path)] = path
    return out


def _resolve(name: str, known: set[str]) -> str | None:
    """The product module ``name`` refers to: itself, or the nearest package above it that is known."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(mod: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    here = mod if is_pkg else mod.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                stem = f"{base}.{node.module}" if node.module else base
            else:
                stem = node.module or ""
            # "from pkg import mod" imports the submodule when one of that name exists
            names = [f"{stem}.{a.name}" if f"{stem}.{a.name}" in known else stem for a in node.names]
        else:
            continue
        for n in names:
            r = _resolve(n, known)
            if r and r != mod:
                targets.add(r)
    return targets


def layer(mod: str) -> int:
    """The layer of ``mod``: the longest prefix of it named in LAYER."""
    parts = mod.split(".")
    return next(LAYER[".".join(parts[:i])] for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in LAYER)


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph = {m: _imports(m, p, known) for m, p in mods.items()}
    # a package's __init__ is imported before any of its modules: importing a.b.c runs a and a.b too
    for m in list(graph):
        parts = m.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if parent in graph:
                graph[m] = graph[m] | ({parent} - {m})
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None. Package-parent edges are ignored, since a
    package importing its own submodule (to re-export it) is not a cycle through its parent."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {m: WHITE for m in graph}
    stack: list[str] = []

    def edges(m: str) -> list[str]:
        return sorted(t for t in graph[m] if not m.startswith(t + "."))

    def visit(m: str) -> list[str] | None:
        colour[m] = GREY
        stack.append(m)
        for t in edges(m):
            if colour.get(t) == GREY:
                return stack[stack.index(t):] + [t]
            if colour.get(t) == WHITE:
                found = visit(t)
                if found:
                    return found
        stack.pop()
        colour[m] = BLACK
        return None

    for m in sorted(graph):
        if colour[m] == WHITE:
            found = visit(m)
            if found:
                return found
    return None


def test_the_checker_finds_a_cycle_through_a_function_level_import(tmp_path):
    graph = {"models.a": {"models.b"}, "models.b": {"models.c"}, "models.c": {"models.a"}, "models.d": set()}
    assert find_cycle(graph) == ["models.a", "models.b", "models.c", "models.a"]
    assert find_cycle({"models.a": {"models.b"}, "models.b": set()}) is None
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from models.data import workspace\n")
    assert "models.data.workspace" in _imports("models.x", src, {"models.data", "models.data.workspace", "models.x"})


def test_no_import_cycle_in_the_product():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layers_import_only_from_the_layers_before_them():
    wrong = []
    for mod, targets in import_graph().items():
        for t in targets:
            if layer(t) > layer(mod):
                wrong.append(f"{mod} imports {t}")
    assert not wrong, "\n".join(sorted(wrong))


def test_models_never_import_langchain_or_gradio():
    bad = []
    for mod, path in _modules().items():
        if not mod.startswith("models"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            bad += [f"{mod}: {n}" for n in names if n.split(".")[0] in ("langchain", "langchain_core", "langgraph",
                                                                         "langchain_openai", "gradio")]
    assert not bad, bad


def test_only_settings_reads_the_environment():
    readers = sorted(_module_name(p) for p in _modules().values() if ENV_READ.search(p.read_text("utf-8")))
    assert readers == ["assistant.settings"], readers


def test_no_module_loaded_by_a_name_string():
    users = sorted(_module_name(p) for p in _modules().values() if "import_module(" in p.read_text("utf-8"))
    assert not users, users


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_package_has_an_init(pkg):
    for d in (REPO / pkg).rglob("*"):
        if d.is_dir() and d.name != "__pycache__" and any(d.glob("*.py")):
            assert (d / "__init__.py").exists(), f"{d.relative_to(REPO)} has modules but no __init__.py"
