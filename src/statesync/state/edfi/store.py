"""One district's Ed-Fi documents: found by natural key, saved with a change version."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from statesync.state.models import District, EdfiDocument


def natural_key(values: list[Any]) -> str:
    """A natural key as stored: its values in key order, as compact JSON."""
    return msgspec.json.encode(values).decode()


_LEA = (
    "SELECT id, resource_id, body, change_version, natural_key FROM state_edfidocument "
    "WHERE district_id = %s AND resource = 'localEducationAgencies' AND body IS NOT NULL"
)


# A school's documents: their natural keys end with its ID, then (most) the school year.
_OF_SCHOOL = (
    "SELECT id, resource_id, body, change_version, natural_key FROM state_edfidocument "
    "WHERE district_id = %s AND resource = %s AND body IS NOT NULL AND natural_key LIKE %s "
    "ORDER BY id"
)

# Rows by natural key, held or not (a list of keys follows): the lookup every reference,
# mapping and slot makes, several times a record, so it skips the ORM's query building (most
# of a POST's time, profiled).
_ROWS = (
    "SELECT id, resource_id, body, change_version, natural_key FROM state_edfidocument "
    "WHERE district_id = %s AND resource = %s AND natural_key IN "
)

_SLOTS = "INSERT INTO state_edfidocument (district_id, resource, natural_key, resource_id) VALUES "
_SLOTS_END = (
    " ON CONFLICT (district_id, resource, natural_key) DO NOTHING "
    "RETURNING id, resource, natural_key"
)

_CHANGES = (
    "INSERT INTO state_edfichange (district_id, resource, resource_id, deleted, key_values) VALUES "
)

_WRITE = (
    "UPDATE state_edfidocument SET body = %s, change_version = %s, last_modified = %s WHERE id = %s"
)


def _year_of(calendar: EdfiDocument) -> int:
    return int((calendar.body or {}).get("schoolYearTypeReference", {}).get("schoolYear", 0))


class Documents:
    """The documents of `district` in database `using`, each looked up once per request."""

    def __init__(self, district: District, using: str):
        self.district, self.using = district, using
        self._lea: EdfiDocument | None = None
        self._held: dict[tuple[str, str], EdfiDocument | None] = {}

    def all(self) -> QuerySet[EdfiDocument]:
        return EdfiDocument.objects.using(self.using).filter(district=self.district)

    def held(self, resource: str, key: list[Any]) -> EdfiDocument | None:
        """The held document of `resource` with this natural key, or None."""
        wanted = (resource, natural_key(key))
        if wanted not in self._held:
            with connections[self.using].cursor() as cursor:
                cursor.execute(_ROWS + "(%s)", [self.district.pk, *wanted])
                row = cursor.fetchone()
            held = row is not None and row[2] is not None  # a row without a body is not held
            self._held[wanted] = self._document(wanted, row[:-1]) if held else None
        return self._held[wanted]

    def _document(self, wanted: tuple[str, str], row: tuple) -> EdfiDocument:
        pk, resource_id, body, change_version = row
        doc = EdfiDocument(
            pk=pk,
            district=self.district,
            resource=wanted[0],
            natural_key=wanted[1],
            resource_id=resource_id
            if isinstance(resource_id, uuid.UUID)
            else uuid.UUID(resource_id),
            body=msgspec.json.decode(body) if isinstance(body, (str, bytes)) else body,
            change_version=change_version,
        )
        doc._state.adding, doc._state.db = False, self.using  # as if the ORM had read it
        return doc

    def lea(self) -> EdfiDocument | None:
        """The district's local education agency, once it has sent it."""
        if self._lea is None:
            with connections[self.using].cursor() as cursor:
                cursor.execute(_LEA, [self.district.pk])
                row = cursor.fetchone()
            if row is not None:
                self._lea = self._document(("localEducationAgencies", row[-1]), row[:-1])
        return self._lea

    def calendars_of(self, school_id: int, year: int | None) -> list[EdfiDocument]:
        """A school's held calendars of `year` (None: every year, the latest last)."""
        found = self._of_school("calendars", school_id, year)
        return sorted(found, key=lambda c: (_year_of(c), c.pk))

    def sessions_of(self, school_id: int, year: int) -> list[dict[str, Any]]:
        """The bodies of a school's held sessions of `year`."""
        return [doc.body for doc in self._of_school("sessions", school_id, year) if doc.body]

    def bell_schedules_of(self, school_id: int) -> list[EdfiDocument]:
        """A school's held bell schedules (their natural keys end with the school)."""
        return self._of_school("bellSchedules", school_id, None, f"%,{int(school_id)}]")

    def _of_school(
        self, resource: str, school_id: int, year: int | None, pattern: str = ""
    ) -> list[EdfiDocument]:
        """Held documents of `resource` at a school (of `year`), in ID order. Their natural
        keys end with the school's ID, then the year: `pattern` (LIKE) matches that tail, so
        the read stays in plain SQL (the ORM's JSON lookups took 0.7 ms, this 0.03), and their
        bodies then say it exactly."""
        if not pattern:
            year_part = f"{int(year)}]" if year is not None else "%"
            pattern = f"%,{int(school_id)},{year_part}"
        with connections[self.using].cursor() as cursor:
            cursor.execute(_OF_SCHOOL, [self.district.pk, resource, pattern])
            rows = cursor.fetchall()
        found = [self._document((resource, row[-1]), row[:-1]) for row in rows]
        return [
            doc
            for doc in found
            if (doc.body or {})["schoolReference"]["schoolId"] == school_id
            and (year is None or _year_of(doc) == year)
        ]

    def slot(self, resource: str, key: list[Any]) -> EdfiDocument:
        """The document row for this natural key, made (not yet held) if there is none: its
        primary key is the statesync record's ID, so it is fixed before the record is judged."""
        return self.slots([(resource, key)])[0]

    def slots(self, keys: list[tuple[str, list[Any]]]) -> list[EdfiDocument]:
        """slot() for each (resource, natural key), none twice (a group's, at most a few
        hundred): the rows there are read in one statement a resource, the missing made in
        one more, whatever their number (on PostgreSQL, a round trip each)."""
        wanted = [(resource, natural_key(key)) for resource, key in keys]
        found: dict[tuple[str, str], EdfiDocument] = {}
        connection = connections[self.using]
        with connection.cursor() as cursor:
            for resource in dict.fromkeys(resource for resource, _ in wanted):
                named = [key for of, key in wanted if of == resource]
                marks = ", ".join(["%s"] * len(named))
                cursor.execute(_ROWS + f"({marks})", [self.district.pk, resource, *named])
                for *row, key in cursor.fetchall():
                    found[(resource, key)] = self._document((resource, key), tuple(row))
            made = {one: uuid.uuid4() for one in wanted if one not in found}
            if made:
                rows = ", ".join(["(%s, %s, %s, %s)"] * len(made))
                params = [
                    value
                    for one, resource_id in made.items()
                    for value in (self.district.pk, *one, self._uuid(resource_id))
                ]
                # One statement whether or not another request made a row first (no savepoint).
                cursor.execute(_SLOTS + rows + _SLOTS_END, params)
                for pk, resource, key in cursor.fetchall():
                    one = (resource, key)
                    found[one] = self._document(one, (pk, made[one], None, None))
            for one in wanted:
                if one not in found:  # made by another request since it was read
                    cursor.execute(_ROWS + "(%s)", [self.district.pk, *one])
                    found[one] = self._document(one, cursor.fetchone()[:-1])
        return [found[one] for one in wanted]

    def save(self, doc: EdfiDocument, body: dict[str, Any]) -> None:
        """Hold `body` as the document, under a new change version (one transaction)."""
        self.save_all([(doc, body)])

    def save_all(self, held: list[tuple[EdfiDocument, dict[str, Any]]]) -> None:
        """Hold each body as its document, each under a new change version (a group's)."""
        self._write([(doc, body, None) for doc, body in held])

    def remove(self, doc: EdfiDocument, key_values: dict[str, Any]) -> None:
        """Stop holding the document; Change Queries list the delete with its key values."""
        self._write([(doc, None, key_values)])

    def _write(self, writes: list[tuple[EdfiDocument, dict | None, dict | None]]) -> None:
        """Log each document's change (its ID is the change version) and store its body, in
        two statements for them all: every accepted POST does this (the ORM's save was a
        sixth of a POST, profiled; a statement a document, a round trip each on PostgreSQL)."""
        if not writes:
            return
        connection = connections[self.using]
        json_field = EdfiDocument._meta.get_field("body")
        now = timezone.now()
        stamp = connection.ops.adapt_datetimefield_value(now)
        changes = [
            [
                self.district.pk,
                doc.resource,
                self._uuid(doc.resource_id),
                body is None,
                json_field.get_db_prep_save(key_values or {}, connection),
            ]
            for doc, body, key_values in writes
        ]
        rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(changes))
        # No savepoint inside a group's transaction: a failure there fails the group.
        with transaction.atomic(using=self.using, savepoint=False), connection.cursor() as cursor:
            params = [value for change in changes for value in change]
            cursor.execute(_CHANGES + rows + " RETURNING resource_id, id", params)
            # Matched by the document's resource ID: RETURNING promises no order.
            version_of = dict(cursor.fetchall())
            versions = [version_of[change[2]] for change in changes]
            cursor.executemany(
                _WRITE,
                [
                    [json_field.get_db_prep_save(body, connection), version, stamp, doc.pk]
                    for (doc, body, _), version in zip(writes, versions, strict=True)
                ],
            )
        for (doc, body, _), version in zip(writes, versions, strict=True):
            doc.body, doc.change_version, doc.last_modified = body, version, now
            self._held[(doc.resource, doc.natural_key)] = None if body is None else doc

    def _uuid(self, value: uuid.UUID) -> Any:
        """A UUID as this database stores it (a uuid on PostgreSQL, hex text on SQLite)."""
        field = EdfiDocument._meta.get_field("resource_id")
        return field.get_db_prep_value(value, connections[self.using])
