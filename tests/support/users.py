"""Users with exactly the tool rights a test names."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission


def make_user(name: str, rights: list[tuple[str, str]], superuser: bool = False):
    """A user holding `rights` ((tool slug, letter) pairs) directly, and nothing else."""
    user = get_user_model().objects.create_user(name, f"{name}@example.org", "pw")
    user.is_superuser = superuser
    user.save()
    codenames = [f"{slug}_{letter.lower()}" for slug, letter in rights]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="access", codename__in=codenames)
    )
    return user
