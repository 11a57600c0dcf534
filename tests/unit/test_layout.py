"""The layout docs/ARCHITECTURE.md describes, checked on the source: its figures (modules,
import layers, imports that run back up, cycles) are the code's, and every module is listed."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "statesync"
DOC = SRC.parents[1] / "docs" / "ARCHITECTURE.md"
# The layers, lowest first: a module may import its own layer and those below it.
LAYERS = {
    "core": ["core"],
    "access": ["access"],
    "editions": ["district", "state", "router"],
    "web": ["web"],
    "tools": ["tools"],
    "entry": ["cli", "settings", "urls", "wsgi", "asgi", "__main__", "__init__"],
}
LAYER_OF = {top: rank for rank, tops in enumerate(LAYERS.values()) for top in tops}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in SRC.rglob("*.py") if "migrations" not in p.parts}


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every statesync module an import names, but those only type checkers see."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return [n for n in names if n.startswith("statesync.")]  # the package itself holds nothing


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for target in _runtime_imports(ast.parse(path.read_text())):
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in known and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Groups of modules that import each other, round and round (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def layer(name: str) -> int:
    parts = name.split(".")
    return LAYER_OF[parts[1] if len(parts) > 1 else "__init__"]


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def figure(label: str) -> int:
    found = re.search(rf"\| {label} \| (\d+) \|", DOC.read_text())
    assert found, f"docs/ARCHITECTURE.md has no figure '{label}'"
    return int(found.group(1))


def test_the_layouts_figures_are_the_codes():
    graph = import_graph()
    assert len(modules()) == figure("modules")
    assert len(LAYERS) == figure("import layers")
    assert len(upward(graph)) == figure("imports that run back up"), upward(graph)
    assert len(cycles(graph)) == figure("import cycles"), cycles(graph)


def test_every_top_level_room_has_a_layer():
    rooms = [p for p in SRC.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]
    tops = {p.stem for p in rooms}
    assert tops - set(LAYER_OF) == set()


def test_the_checks_find_a_cycle_and_an_import_back_up():
    graph = {"statesync.core.wire": {"statesync.web.x"}, "statesync.web.x": {"statesync.core.wire"}}
    assert cycles(graph) == [{"statesync.core.wire", "statesync.web.x"}]
    assert upward(graph) == [("statesync.core.wire", "statesync.web.x")]


def test_every_module_has_its_line():
    text = DOC.read_text()
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if "migrations" in path.parts or path.name in ("__init__.py", "apps.py"):
            continue
        folder, _, stem = relative.rpartition("/")
        if folder.endswith("management/commands"):
            line = next((ln for ln in text.splitlines() if ln.startswith(f"- `{folder}/`")), "")
            if stem.removesuffix(".py") not in line:
                missing.append(relative)
        elif f"`{relative}`" not in text:
            missing.append(relative)
    assert missing == []
