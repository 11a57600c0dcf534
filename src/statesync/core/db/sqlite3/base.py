"""Django's SQLite backend, converting each query's `%s` placeholders to SQLite's `?` once.

Django converts the placeholders on every execution with a regular expression behind a lazy
object: 4 µs a query, 6.7 % of the state's CPU on an Ed-Fi POST (py-spy). The same few hundred
queries run over and over, so each one's conversion is remembered (0.07 µs); a long one (an
IN list of many IDs) is rare and converted as before, so the memory stays small.
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


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None and len(query) <= LONGEST:
            return to_qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=SQLiteCursorWrapper)
