"""Where a run stands: its statuses, apart from the Run model so that what reads them (the
school years) need not import it."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
# A run that went through every record it planned (some may have been rejected).
FULL_RUN_STATUSES = (RunStatus.SUCCEEDED, RunStatus.COMPLETED_WITH_ERRORS)
