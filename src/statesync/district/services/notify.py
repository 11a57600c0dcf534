"""Telling people what concerns them — how a run they started ended, a records transfer — in the
app, and by e-mail where it is set up."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from statesync.access.rights import has_right
from statesync.core import catalog
from statesync.district.models import Mode, Notification, Run

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
        if run.mode == Mode.VERIFY:  # a verify compares only: nothing inserted or updated
            found = ro.comparison()
            counts = ", ".join(
                f"{name} {found[name]}" for name in ("matching", "missing", "different", "extra")
            )
            counts += f"; rejected by the state {found['rejected']}"
        else:
            counts = f"inserted {ro.inserted}, updated {ro.updated}, deleted {ro.deleted}"
        lines.append(f"{ro.object}: Processed: {ro.processed} Errors: {ro.errors} ({counts})")
    awaiting = run.awaiting_identity
    if awaiting and run.identity_settled_at:
        lines.append(
            f"Identity: the state settled all {awaiting} records that awaited it (state IDs, "
            "enrollments across districts); its state IDs are applied here."
        )
    elif awaiting:
        lines.append(
            f"Identity: {awaiting} records await the state's identity resolver; their state "
            "IDs come with the worker's next pull of the state's changes."
        )
    return "\n".join(lines)


def batch_runners() -> list:
    """Everyone who runs resyncs (Batch R): who is told what concerns them all."""
    users = get_user_model().objects.filter(is_active=True)
    return [user for user in users if has_right(user, "batch", "R")]


def notify_run_ended(run: Run) -> list[Notification]:
    """Notify the run's requester once, or, for a run the state asked for, everyone who runs
    resyncs; returns the notifications made."""
    if run.requested_by is not None:
        users = [run.requested_by]
    elif run.requested_from == "state":
        users = batch_runners()
    else:
        users = []
    told = set(Notification.objects.filter(run=run).values_list("user_id", flat=True))
    return [_notify(run, user) for user in users if user.pk not in told]


def _notify(run: Run, user) -> Notification:
    title = f"Resync run {run.pk}: {run.get_status_display()}"
    url = reverse("district:run", args=[run.pk])
    errors = f"{reverse('district:errors')}?run={run.pk}"
    return tell(user, title, run_summary(run), url, run=run, also={"Errors": errors})


def tell(
    user, title: str, body: str, url: str, run: Run | None = None, also: dict | None = None
) -> Notification:
    """A notification for `user`, and an e-mail with its links where they have an address."""
    note = Notification.objects.create(user=user, run=run, title=title, body=body, url=url)
    if user.email:
        base = get_base_url()
        links = "".join(
            f"\n{name}: {base}{path}" for name, path in {"Open": url, **(also or {})}.items()
        )
        try:
            send_mail(title, f"{body}\n{links}", None, [user.email])
        except OSError as exc:  # mail is a courtesy: the in-app notification stands
            log.warning("could not e-mail %s about %r: %s", user.email, title, exc)
    return note
