import json
import re

from django import template

from statesync.core import catalog, output

register = template.Library()


@register.filter
def cancellable_by(run, user) -> bool:
    """Whether `user` may cancel `run` (its starter, or the security role)."""
    return run.may_be_cancelled_by(user)


@register.filter
def get_item(mapping, key):
    """`mapping[key]` in a template."""
    return mapping.get(key) if mapping else None


@register.filter
def when(moment):
    """`moment` in the viewer's zone, the zone named: "11/29/2026 09:15:02 MST"."""
    return output.when(moment)


@register.filter
def spaced(name: str) -> str:
    """`PersonIdentity` → "Person Identity": an object's name that can wrap in a narrow column."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


@register.filter
def field_label(name: str) -> str:
    """`birth_date` → "Birth Date"."""
    return catalog.field_label(name)


@register.filter
def lag(ms: int | None) -> str:
    """Milliseconds as a person reads a wait: "850 ms", "2.4 s", "3 min", "2.5 h"."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:.0f} min"
    return f"{ms / 3_600_000:.1f} h"


@register.filter
def pretty_json(value) -> str:
    """`value` as indented JSON, for a page that shows what was sent or answered."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)
