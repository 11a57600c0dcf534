"""The rules by object: each marked where it is written (`@rule("School")` for a record rule,
`@batch_rule("Enrollment")` or `@batch_rule()` for one that judges the whole batch,
`@identity_rule("Enrollment")` for one the identity resolver judges after acceptance), and
gathered by `Registry.collect(module, …)` from the modules `rules/__init__.py` names. No rule
is found by import side effect: a new rule module is one more name in that one call."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from statesync.core import catalog
from statesync.state.rules.context import Batch, Lookups, Verdicts

# Records are structs the wire makes from the catalogue at run time: their fields are Any.
ObjectRule = Callable[[Lookups, list[Any], Verdicts], None]
BatchRule = Callable[[Lookups, Batch, Verdicts], None]
Rule = TypeVar("Rule", bound=Callable[..., None])

EVERY = "*"  # a batch rule of every object's batches
_MARK = "_statesync_rule"


def rule(name: str) -> Callable[[Rule], Rule]:
    """Mark an object rule of `name`'s batches: (lookups, records, verdicts)."""
    return _marked("object", catalog.get(name).name)


def batch_rule(name: str | None = None) -> Callable[[Rule], Rule]:
    """Mark a batch rule of `name`'s batches (every object's without one): (lookups, batch,
    verdicts). It runs once the object rules have judged each record."""
    return _marked("batch", catalog.get(name).name if name else EVERY)


def identity_rule(name: str) -> Callable[[Rule], Rule]:
    """Mark a rule the identity resolver judges once `name`'s batch is stored and its people's
    state IDs settled: (lookups, batch, verdicts). What it rejects is rejected from then on."""
    return _marked("identity", catalog.get(name).name)


def _marked(kind: str, name: str) -> Callable[[Rule], Rule]:
    def mark(func: Rule) -> Rule:
        setattr(func, _MARK, (kind, name))
        return func

    return mark


class Registry:
    """Rules of each kind by object name, in the order they are written."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, str], list[Callable[..., None]]] = defaultdict(list)
        # In one list, so a batch's rules run in the order they are written whatever they judge.
        self._batch: list[tuple[str, BatchRule]] = []

    @classmethod
    def collect(cls, *modules: ModuleType) -> Registry:
        """The rules marked in `modules` (functions they only import are not theirs)."""
        registry = cls()
        for module in modules:
            for value in vars(module).values():
                mark = getattr(value, _MARK, None)
                if mark is None or value.__module__ != module.__name__:
                    continue
                kind, name = mark
                if kind == "batch":
                    registry._batch.append((name, value))
                else:
                    registry._rules[mark].append(value)
        return registry

    def for_object(self, obj: catalog.DisObject) -> list[ObjectRule]:
        """`obj`'s object rules (none for an object without rules of its own)."""
        return list(self._rules.get(("object", obj.name), ()))

    def for_identity(self, obj: catalog.DisObject) -> list[BatchRule]:
        """The rules the identity resolver judges of `obj`'s stored records."""
        return list(self._rules.get(("identity", obj.name), ()))

    def for_batch(self, obj: catalog.DisObject) -> list[BatchRule]:
        """The batch rules of `obj`'s batches (its own and every object's), in written order."""
        return [func for name, func in self._batch if name in (obj.name, EVERY)]
