"""Users with exactly the tool rights a test names."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client


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


def client_with(*codenames: str, superuser: bool = False) -> Client:
    """A logged-in test client of a user holding exactly these rights (codenames, through a
    group of their own), or of a superuser."""
    model = get_user_model()
    if superuser:
        user = model.objects.create_superuser("admin", "admin@example.org", "pw")
    else:
        user = model.objects.create_user(f"user-{'-'.join(codenames) or 'none'}")
        group = Group.objects.create(name=f"group {user.username}")
        group.permissions.set(Permission.objects.filter(codename__in=codenames))
        user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client
