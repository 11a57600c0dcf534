"""The layering the codebase promises (README, "How it fits together"), checked on its source.

- The engine core (`statesync.core`: the sync engine, the wire, the catalogue) imports no
  edition: it receives what it needs as arguments, so it can never grow a cycle with the
  district's models.
- The district never imports the state's modules; what both must agree on lives in `wire`.
- No object name is written anywhere but the catalogue and the places that exist per object
  (the state's object rules, the demo generator).
- Sizes follow responsibility: no function over 60 lines, no module over 500.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from statesync.core import catalog

SRC = Path(__file__).resolve().parents[2] / "src" / "statesync"
CORE = ["core"]
EDITIONS = ("statesync.district", "statesync.state", "statesync.access", "statesync.web")
# Per-object entries: where naming an object is the point.
# The Ed-Fi door's mapping is a per-object table like the rules' (each resource names the
# object it carries), and Ed-Fi's own code values and XML elements include words such as
# "School".
NAMED_OBJECTS_ALLOWED = [
    "catalog",
    "state/rules/objects.py",
    "state/edfi/",
    "tools/demo/edfi.py",
    "tools/bench/seed_edfi.py",
    "tools/demo/seed",
    "migrations",
]


def python_files(*parts: str) -> list[Path]:
    files: list[Path] = []
    for part in parts:
        path = SRC / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", python_files(*CORE), ids=lambda p: str(p.relative_to(SRC)))
def test_the_engine_core_imports_neither_edition(path):
    offending = sorted(m for m in imported_modules(path) if m.startswith(EDITIONS))
    assert offending == [], f"{path.relative_to(SRC)} imports {offending}"


@pytest.mark.parametrize("path", python_files("district"), ids=lambda p: str(p.relative_to(SRC)))
def test_the_district_never_imports_the_state(path):
    offending = sorted(m for m in imported_modules(path) if m.startswith("statesync.state"))
    assert offending == [], f"{path.relative_to(SRC)} imports {offending}"


# Sizes follow responsibility (docs/ARCHITECTURE.md, "Sizes"): a function does one thing and
# reads on one screen; a module holds one responsibility, and one that outgrows this has
# taken on a second, which goes to a module of its own (not to a split by line count).
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500


def source_modules() -> list[Path]:
    return [p for p in python_files(".") if "migrations" not in p.parts]


def test_no_function_is_over_60_lines():
    long = {}
    for path in source_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(SRC)}:{node.name}"] = lines
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_module_is_over_500_lines():
    long = {
        str(p.relative_to(SRC)): n
        for p in source_modules()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"


def _allowed(path: Path) -> bool:
    relative = path.relative_to(SRC).as_posix()
    return any(
        relative.startswith(prefix) or f"/{prefix}" in relative for prefix in NAMED_OBJECTS_ALLOWED
    )


def object_names_in(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    exported = {
        id(element)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        for element in ast.walk(node.value)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and node.value in catalog.NAMES
        and id(node) not in exported  # a class's own name exported, not an object named
    ]


def test_no_object_name_is_hard_coded_outside_the_catalogue_and_its_entries():
    found = {
        f"{path.relative_to(SRC)}:{line}": name
        for path in python_files(".")
        if not _allowed(path)
        for line, name in object_names_in(path)
    }
    assert found == {}, "name the object through the catalogue (catalog.ROOT, a flag, …)"


def test_the_check_itself_finds_a_hard_coded_name(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('OBJECT = "Enrollment"\n__all__ = ["District"]\n')
    assert object_names_in(sample) == [(1, "Enrollment")]


CITATION = re.compile(r"(docs/[A-Z]+\.md|README\.md)(?: §(\d+))?")


def test_code_cites_only_documents_and_sections_that_exist():
    repository = SRC.parents[1]
    for path in SRC.rglob("*"):
        if path.suffix not in (".py", ".html"):
            continue
        for document, section in CITATION.findall(path.read_text()):
            cited = repository / document
            assert cited.exists(), f"{path.relative_to(repository)} cites {document}"
            if section:
                headings = re.findall(r"^## (\d+)\.", cited.read_text(), re.MULTILINE)
                assert section in headings, f"{path.name} cites {document} §{section}"


def test_every_csv_is_written_through_the_writer_that_makes_formulas_plain():
    direct = [
        str(path.relative_to(SRC))
        for path in python_files(".")
        if path.name != "csvfile.py" and re.search(r"csv\.(writer|DictWriter)\(", path.read_text())
    ]
    assert direct == [], "write CSV with statesync.core.csvfile.Writer"


def test_the_tests_reliability_names_exist():
    """docs/RELIABILITY.md says which test holds each promise: each named test is there."""
    root = SRC.parents[1]
    text = (root / "docs" / "RELIABILITY.md").read_text()
    missing, current = [], []
    for path, name in re.findall(r"((?:tests/)?[\w/]*test_\w+\.py)?::(\w+)", text):
        if path:  # a short name (test_tools.py) may be any of the files so named
            current = [root / path] if "/" in path else list((root / "tests").rglob(path))
        if not any(re.search(rf"def {name}\(", f.read_text()) for f in current):
            missing.append(f"{path or '(the file before)'}::{name}")
    assert missing == []
