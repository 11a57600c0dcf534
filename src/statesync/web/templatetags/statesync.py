from django import template

register = template.Library()


@register.filter
def cancellable_by(run, user) -> bool:
    """Whether `user` may cancel `run` (its starter, or the security role)."""
    return run.may_be_cancelled_by(user)


@register.filter
def get_item(mapping, key):
    """`mapping[key]` in a template."""
    return mapping.get(key) if mapping else None
