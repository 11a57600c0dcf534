"""Telling the person who started a run how it ended: in the app, and by e-mail if configured."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from statesync import catalog
from statesync.district.models import Notification, Run

log = logging.getLogger(__name__)


def get_base_url() -> str:
    """Where people reach this site, for links in e-mail."""
    return getattr(settings, "STATESYNC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def run_summary(run: Run) -> str:
    lines = [
        f"{run.get_mode_display()} resync for {catalog.year_label(run.school_year)}: "
        f"{run.get_status_display().lower()}."
    ]
    if run.message:
        lines.append(run.message)
    for ro in run.objects_in_order:
        lines.append(
            f"{ro.object}: Processed: {ro.processed} Errors: {ro.errors} "
            f"(inserted {ro.inserted}, updated {ro.updated}, deleted {ro.deleted})"
        )
    return "\n".join(lines)


def notify_run_ended(run: Run) -> Notification | None:
    """Notify the run's requester once; returns the notification (None if nobody to tell)."""
    user = run.requested_by
    if user is None or Notification.objects.filter(run=run, user=user).exists():
        return None
    title = f"Resync run {run.pk}: {run.get_status_display()}"
    body = run_summary(run)
    url = reverse("district:run", args=[run.pk])
    note = Notification.objects.create(user=user, run=run, title=title, body=body, url=url)
    if user.email:
        base = get_base_url()
        errors = f"{reverse('district:errors')}?run={run.pk}"
        links = f"\n\nRun: {base}{url}\nErrors: {base}{errors}"
        try:
            send_mail(title, body + links, None, [user.email])
        except OSError as exc:  # mail is a courtesy: the in-app notification stands
            log.warning("could not e-mail %s about run %s: %s", user.email, run.pk, exc)
    return note
