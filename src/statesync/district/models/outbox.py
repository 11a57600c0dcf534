from __future__ import annotations

from django.db import models


class OutboxEntry(models.Model):
    """A change saved through the application, waiting to be sent to the state.

    Written in the same transaction as the change; the drainer sends the record as it is when
    sent (or its deletion), so repeated entries for one record collapse and order is kept.
    """

    object = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True)
    # "add", "change" or "delete" (messages.Action): what the save did, for the Message History.
    action = models.CharField(max_length=6, default="change")
    # The Message History's "waiting to retry" message for this entry, once a drain failed.
    message = models.ForeignKey(
        "district.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "district_outbox"
        ordering = ["id"]
        verbose_name_plural = "outbox entries"

    def __str__(self) -> str:
        return f"{self.object} {self.record_id}"
