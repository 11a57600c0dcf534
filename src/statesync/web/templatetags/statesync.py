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
