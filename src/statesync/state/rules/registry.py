"""Object rules by object: `@rule("School")` registers a function for that object's batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from statesync import catalog
from statesync.state.rules.context import Lookups, Verdicts

# Records are structs the wire makes from the catalogue at run time: their fields are Any.
ObjectRule = Callable[[Lookups, list[Any], Verdicts], None]
_OBJECT_RULES: dict[str, list[ObjectRule]] = defaultdict(list)


def rule(name: str) -> Callable[[ObjectRule], ObjectRule]:
    """Register an object rule for `name`'s batches."""

    def register(func: ObjectRule) -> ObjectRule:
        _OBJECT_RULES[catalog.get(name).name].append(func)
        return func

    return register


def object_rules(obj: catalog.DisObject) -> list[ObjectRule]:
    return _OBJECT_RULES[obj.name]
