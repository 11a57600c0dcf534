"""What statesync's everyday commands share."""

from __future__ import annotations

from django.core.management.base import BaseCommand


class EverydayCommand(BaseCommand):
    """A command an operator or a script runs often (resync, status, state, dis …).

    Django's system checks load every URL and view first, which made each call about a third
    slower; they run where a deployment starts instead: `statesync check`, `migrate`, `serve`
    and `worker`.
    """

    requires_system_checks: list[str] = []
