from __future__ import annotations

from django.db import models
from django.utils import timezone

from statesync.core import catalog, handoff
from statesync.state.models.registry import District


class ResyncRequest(models.Model):
    """The state asking a district to resync; the district's worker polls for these and runs them.

    The state never writes into a district: it can only ask.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="requests")
    objects_requested = models.JSONField()
    mode = models.CharField(max_length=20, default="differential")
    check_dependencies = models.BooleanField(default=True)
    school_year = models.IntegerField(
        null=True,
        blank=True,
        help_text="End year to resync; empty means the district's scoped year.",
    )
    # Users live in the district edition's database, so the requester is kept by name.
    requested_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    district_run = models.BigIntegerField(null=True, blank=True)
    # Asked from the state's Data Tool: send these records of the one object now, not a run.
    record_ids = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "state_resyncrequest"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Resync request {self.pk} for {self.district.number}"

    @classmethod
    def ask(
        cls,
        district: District,
        objects: list[str],
        mode: str,
        by: str,
        school_year: int | None = None,
        record_ids: list[int] | None = None,
    ) -> ResyncRequest:
        """Ask `district` to resync `objects`, or to send `record_ids` of the one object now
        (its worker picks the request up)."""
        return cls.objects.create(
            district=district,
            objects_requested=objects,
            mode=mode,
            check_dependencies=True,
            requested_by=by,
            school_year=school_year,
            record_ids=record_ids,
        )

    @property
    def year_label(self) -> str:
        return catalog.year_label(self.school_year) if self.school_year else "its scoped year"

    def as_item(self) -> handoff.ResyncRequestItem:
        """The request as the state API sends it (and documents it)."""
        return handoff.ResyncRequestItem(
            id=self.pk,
            objects=self.objects_requested,
            mode=self.mode,
            check_dependencies=self.check_dependencies,
            requested_by=self.requested_by,
            created_at=self.created_at.isoformat(),
            claimed_at=self.claimed_at.isoformat() if self.claimed_at else None,
            school_year=self.school_year,
            ids=self.record_ids,
        )
