"""Object rules by object: a Registry, filled by `@RULES.rule("School")` where the rules are
written (state/rules/objects.py) and read by judge() from there: no rule is found by import
side effect."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from statesync.core import catalog
from statesync.state.rules.context import Lookups, Verdicts

# Records are structs the wire makes from the catalogue at run time: their fields are Any.
ObjectRule = Callable[[Lookups, list[Any], Verdicts], None]


class Registry:
    """Object rules by object name, in the order they were registered."""

    def __init__(self) -> None:
        self._rules: dict[str, list[ObjectRule]] = defaultdict(list)

    def rule(self, name: str) -> Callable[[ObjectRule], ObjectRule]:
        """Register an object rule for `name`'s batches."""

        def register(func: ObjectRule) -> ObjectRule:
            self._rules[catalog.get(name).name].append(func)
            return func

        return register

    def for_object(self, obj: catalog.DisObject) -> list[ObjectRule]:
        """`obj`'s rules (none for an object without rules of its own)."""
        return list(self._rules.get(obj.name, ()))
