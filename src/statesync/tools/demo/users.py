"""The demo's three users: one per way the product page expects the tools to be used."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from statesync.access.rights import TOOLS

DEMO_USERS = {
    "admin": "System Administrator: the product security role, every right",
    "clerk": "Data Clerks group: Selective Sync R+W only",
    "viewer": "Viewers group: R on every tool",
}


def _rights(*codenames: str) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="access", codename__in=codenames))


def demo_users() -> dict[str, str]:
    """Create (or reset) the demo users and their groups; returns username → new password."""
    users = get_user_model()
    clerks, _ = Group.objects.get_or_create(name="Data Clerks")
    clerks.permissions.set(_rights("selective_r", "selective_w"))
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.set(_rights(*(t.codename("R") for t in TOOLS)))
    passwords = {}
    for name in DEMO_USERS:
        user, _ = users.objects.get_or_create(
            username=name, defaults={"email": f"{name}@example.org"}
        )
        user.is_active = True
        user.is_superuser = user.is_staff = name == "admin"
        passwords[name] = secrets.token_urlsafe(9)
        user.set_password(passwords[name])
        user.save()
        user.groups.set({"clerk": [clerks], "viewer": [viewers]}.get(name, []))
    return passwords
