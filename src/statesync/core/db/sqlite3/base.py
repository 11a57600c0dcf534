"""Django's SQLite backend, converting each query's `%s` placeholders to SQLite's `?` once.

Django converts the placeholders on every execution with a regular expression behind a lazy
object: 4 µs a query, 6.7 % of the state's CPU on an Ed-Fi POST (py-spy). The same few hundred
queries run over and over, so each one's conversion is remembered (0.07 µs); a long one (an
IN list of many IDs) is not remembered, so the memory stays small, and one without a `%%`
needs no regular expression (an IN list of 2,000 IDs: 164 µs so, 39 with a plain replace, which
is the same conversion there; 2,699 of them in a seed-scale forced resync's intake).
"""

from __future__ import annotations

import functools
from typing import Any

from django.db.backends.sqlite3 import base

REMEMBERED = 1024  # distinct queries whose conversion is kept
LONGEST = 2000  # characters: a longer query is converted each time, not kept


@functools.lru_cache(maxsize=REMEMBERED)
def to_qmark(query: str) -> str:
    """`query` with Django's "format" placeholders as SQLite's "qmark" ones (as Django does)."""
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


def long_to_qmark(query: str) -> str:
    """to_qmark, not remembered; without a `%%` every `%s` is a placeholder."""
    if "%%" in query:
        return to_qmark.__wrapped__(query)
    return query.replace("%s", "?")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is not None:
            return super().convert_query(query, param_names=param_names)
        return to_qmark(query) if len(query) <= LONGEST else long_to_qmark(query)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
