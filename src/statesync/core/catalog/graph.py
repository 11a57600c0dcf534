"""Order, dependencies, the batch tool's tree and school years, from the catalogue's objects."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from statesync.core.catalog.objects import _OBJECTS, NAMES, OBJECTS, get, parse_names


class PlanError(ValueError):
    """A selection that cannot be run; the message says why."""


def plan(selected: Iterable[str], check_dependencies: bool) -> list[str]:
    """The objects a run of `selected` processes, parents before children."""
    names = parse_names(selected)
    if not names:
        raise PlanError("Select at least one object to resync.")
    return with_dependencies(names) if check_dependencies else ordered(names)


@cache
def order() -> tuple[str, ...]:
    """Every object, parents before children (deterministic: ties keep catalogue order)."""
    sorter = graphlib.TopologicalSorter({o.name: o.parents for o in _OBJECTS})
    sorter.prepare()
    position = {n: i for i, n in enumerate(NAMES)}
    result: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        result.extend(ready)
        sorter.done(*ready)
    return tuple(result)


def ordered(names: Iterable[str]) -> list[str]:
    """`names` sorted parents before children."""
    wanted = set(names)
    return [n for n in order() if n in wanted]


def ancestors(names: Iterable[str]) -> set[str]:
    """Every object that the records of `names` reference, directly or not."""
    result: set[str] = set()
    stack = [p for n in names for p in get(n).parents]
    while stack:
        name = stack.pop()
        if name not in result:
            result.add(name)
            stack.extend(OBJECTS[name].parents)
    return result


def with_dependencies(names: Iterable[str]) -> list[str]:
    """`names` plus their ancestors, in order: what "Check dependencies" runs."""
    names = set(names)
    return ordered(names | ancestors(names))


def children(name: str) -> list[str]:
    """Objects that reference `name` directly."""
    return [o.name for o in _OBJECTS if name in o.parents]


def descendants(name: str) -> set[str]:
    """Every object whose records can reference `name`'s, directly or not."""
    result: set[str] = set()
    stack = children(name)
    while stack:
        child = stack.pop()
        if child not in result:
            result.add(child)
            stack.extend(children(child))
    return result


def tree_parent(name: str) -> str | None:
    """The node `name` hangs under in the batch tool's tree."""
    obj = get(name)
    return obj.tree_parent or (obj.parents[0] if obj.parents else None)


@dataclass
class TreeNode:
    name: str
    children: list[TreeNode] = field(default_factory=list)
    depth: int = 0


@cache
def tree() -> tuple[TreeNode, ...]:
    """The batch tool's tree: roots in catalogue order, children in catalogue order."""
    nodes = {n: TreeNode(n) for n in NAMES}
    roots = []
    for name in NAMES:
        parent = tree_parent(name)
        if parent is None:
            roots.append(nodes[name])
        else:
            nodes[parent].children.append(nodes[name])

    def set_depth(node: TreeNode, depth: int) -> None:
        node.depth = depth
        for child in node.children:
            set_depth(child, depth + 1)

    for root in roots:
        set_depth(root, 0)
    return tuple(roots)


def flat_tree() -> list[TreeNode]:
    """The tree depth-first, as the batch tool lists it."""
    result: list[TreeNode] = []

    def walk(node: TreeNode) -> None:
        result.append(node)
        for child in node.children:
            walk(child)

    for root in tree():
        walk(root)
    return result


def subtree(name: str) -> list[str]:
    """`name` and every node below it in the tree (what ticking `name` ticks)."""
    return [n.name for n in flat_tree() if n.name == name or name in _tree_ancestors(n.name)]


def _tree_ancestors(name: str) -> list[str]:
    result = []
    parent = tree_parent(name)
    while parent is not None:
        result.append(parent)
        parent = tree_parent(parent)
    return result


def path_to(name: str, target: str) -> list[str]:
    """The chain of first parents from `name` up to `target` (inclusive), or [] if none.

    Year scope and an error's school are found by following it: Day → Calendar, TermSchedule →
    ScheduleStructure → Calendar, Enrollment → Calendar (its second parent, the one it names).
    """
    if name == target:
        return [name]
    for parent in get(name).parents:
        rest = path_to(parent, target)
        if rest:
            return [name, *rest]
    return []


def school_years(year: int) -> tuple[str, str]:
    """First and last ISO date of school year `year` (end year: 2024 = 2023-07-01..2024-06-30)."""
    return f"{year - 1}-07-01", f"{year}-06-30"


def year_label(year: int) -> str:
    return f"{year - 1}-{year}"
