"""How every kind of bearer token is kept — a personal token, a district's token at the state,
a district's credential at the router: its hash, never the token (core/tokens.py)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.db import connections, models, router
from django.db.models.expressions import Col
from django.utils import timezone

from statesync.core.tokens import hash_token

# How fresh a token's "last used" is kept: a write on every call would make each read a writer
# (SQLite takes one writer at a time; on PostgreSQL each is a commit to wait for).
LAST_USE_EVERY = dt.timedelta(minutes=1)


class HashedToken(models.Model):
    """A bearer token as it is kept: its hash (never the token), its first characters to
    tell it by, when it was made and last used, and when it was revoked."""

    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def live(cls, token: str) -> models.QuerySet:
        """The unrevoked token that `token` is, if any (a queryset of at most one)."""
        return cls._default_manager.filter(token_hash=hash_token(token), revoked_at__isnull=True)

    @classmethod
    def live_with(cls, token: str, related: str) -> Any:
        """The unrevoked token that `token` is, with its `related` row (a foreign key), or None:
        one plain query. Every API call asks this, and the ORM's building of the same query was
        most of its cost (0.9 ms of CPU a call, measured; this is a fifth of it)."""
        using = router.db_for_read(cls)
        connection = connections[using]
        sql, own, theirs = _live_query(cls, related, using)
        with connection.cursor() as cursor:
            cursor.execute(sql, [hash_token(token)])
            row = cursor.fetchone()
        if row is None:
            return None
        values = [
            _converted(value, col, connection) for value, col in zip(row, own + theirs, strict=True)
        ]
        found = cls.from_db(using, [c.target.attname for c in own], values[: len(own)])
        parent = theirs[0].target.model
        names = [c.target.attname for c in theirs]
        setattr(found, related, parent.from_db(using, names, values[len(own) :]))
        return found

    def record_use(self) -> None:
        """Note that the token was used now, unless that was noted within LAST_USE_EVERY."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at > LAST_USE_EVERY:
            type(self)._default_manager.using(self._state.db).filter(pk=self.pk).update(
                last_used_at=now
            )
            self.last_used_at = now

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


@functools.cache
def _live_query(model: type[HashedToken], related: str, using: str) -> tuple[str, list, list]:
    """The SQL of live_with() for `model` and its `related` row, and the columns it reads."""
    quote = connections[using].ops.quote_name
    key = model._meta.get_field(related)
    assert isinstance(key, models.ForeignKey), f"{model.__name__}.{related} is not a foreign key"
    parent = key.related_model._meta
    pk = str(parent.pk.column if parent.pk else "id")
    own = [f.get_col("t") for f in model._meta.concrete_fields]
    theirs = [f.get_col("r") for f in parent.concrete_fields]
    columns = ", ".join(f"{c.alias}.{quote(str(c.target.column))}" for c in own + theirs)
    sql = (
        f"SELECT {columns} FROM {quote(model._meta.db_table)} t "
        f"JOIN {quote(parent.db_table)} r ON r.{quote(pk)} = t.{quote(key.column)} "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL"
    )
    return sql, own, theirs


def _converted(value: Any, col: Col, connection: Any) -> Any:
    """A column's value as the ORM would give it (the database's and the field's converters)."""
    for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
        value = convert(value, col, connection)
    return value
