"""One district's Ed-Fi documents: found by natural key, saved with a change version."""

from __future__ import annotations

from typing import Any

import msgspec
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from statesync.state.models import District, EdfiChange, EdfiDocument


def natural_key(values: list[Any]) -> str:
    """A natural key as stored: its values in key order, as compact JSON."""
    return msgspec.json.encode(values).decode()


class Documents:
    """The documents of `district` in database `using`."""

    def __init__(self, district: District, using: str):
        self.district, self.using = district, using
        self._lea: EdfiDocument | None = None

    def all(self) -> QuerySet[EdfiDocument]:
        return EdfiDocument.objects.using(self.using).filter(district=self.district)

    def held(self, resource: str, key: list[Any]) -> EdfiDocument | None:
        """The held document of `resource` with this natural key, or None."""
        return (
            self.all()
            .filter(resource=resource, natural_key=natural_key(key), body__isnull=False)
            .first()
        )

    def lea(self) -> EdfiDocument | None:
        """The district's local education agency, once it has sent it."""
        if self._lea is None:
            self._lea = (
                self.all().filter(resource="localEducationAgencies", body__isnull=False).first()
            )
        return self._lea

    def calendars_of(self, school_id: int, year: int) -> list[EdfiDocument]:
        return list(
            self.all()
            .filter(
                resource="calendars",
                body__isnull=False,
                body__schoolReference__schoolId=school_id,
                body__schoolYearTypeReference__schoolYear=year,
            )
            .order_by("pk")
        )

    def slot(self, resource: str, key: list[Any]) -> EdfiDocument:
        """The document row for this natural key, made (not yet held) if there is none: its
        primary key is the statesync record's ID, so it is fixed before the record is judged."""
        lookup = {"district": self.district, "resource": resource, "natural_key": natural_key(key)}
        found = EdfiDocument.objects.using(self.using).filter(**lookup).first()
        if found is not None:
            return found
        try:
            with transaction.atomic(using=self.using):
                return EdfiDocument.objects.using(self.using).create(**lookup)
        except IntegrityError:  # another request made it first
            return EdfiDocument.objects.using(self.using).get(**lookup)

    def save(self, doc: EdfiDocument, body: dict[str, Any]) -> None:
        """Hold `body` as the document, under a new change version."""
        doc.body = body
        doc.change_version = self._change(doc, deleted=False)
        doc.last_modified = timezone.now()
        doc.save(using=self.using, update_fields=["body", "change_version", "last_modified"])

    def remove(self, doc: EdfiDocument, key_values: dict[str, Any]) -> None:
        """Stop holding the document; Change Queries list the delete with its key values."""
        doc.body = None
        doc.change_version = self._change(doc, deleted=True, key_values=key_values)
        doc.last_modified = timezone.now()
        doc.save(using=self.using, update_fields=["body", "change_version", "last_modified"])

    def _change(self, doc: EdfiDocument, deleted: bool, key_values: dict | None = None) -> int:
        change = EdfiChange.objects.using(self.using).create(
            district=self.district,
            resource=doc.resource,
            resource_id=doc.resource_id,
            deleted=deleted,
            key_values=key_values or {},
        )
        return change.pk
