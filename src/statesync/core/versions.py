"""Record versions: every change to a district record stamps it with the next tick of one
district-wide clock, so the state can refuse to let an older copy overwrite a newer one.

Database triggers do the stamping, so a change made with SQL behind the application's back is
versioned like a save. On SQLite (one writer at a time) the clock is a one-row table; on
PostgreSQL a sequence, and each stamping transaction holds a shared advisory lock, so `now()`
can wait for the transactions in flight: every version at or below what it returns is then
committed and visible, which is what makes "absent as of version N" a safe thing to say.
"""

from __future__ import annotations

from typing import Any

FIELD = "version"
CLOCK_TABLE = "district_clock"
SEQUENCE = "district_version_seq"
STAMP_FUNCTION = "district_stamp_version"
LOCK_KEY = 7_403_155_902  # the advisory lock writers share while they stamp


def install_sql(vendor: str, tables: list[str]) -> list[str]:
    """Statements that create the clock and the triggers on `tables`, then stamp every row."""
    if vendor == "postgresql":
        statements = [
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}",
            f"""CREATE OR REPLACE FUNCTION {STAMP_FUNCTION}() RETURNS trigger AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock_shared({LOCK_KEY});
                    NEW.{FIELD} := nextval('{SEQUENCE}');
                    RETURN NEW;
                END $$ LANGUAGE plpgsql""",
        ]
        for table in tables:
            statements.append(
                f"CREATE TRIGGER {table}_version BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {STAMP_FUNCTION}()"
            )
    else:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {CLOCK_TABLE} "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
            f"INSERT OR IGNORE INTO {CLOCK_TABLE} (id, value) VALUES (1, 0)",
        ]
        tick = f"UPDATE {CLOCK_TABLE} SET value = value + 1"
        for table in tables:
            stamp = (
                f"UPDATE {table} SET {FIELD} = (SELECT value FROM {CLOCK_TABLE}) WHERE id = NEW.id"
            )
            statements.append(
                f"CREATE TRIGGER {table}_version_insert AFTER INSERT ON {table} "
                f"BEGIN {tick}; {stamp}; END"
            )
            # Every update but the triggers' own stamp (which moves the version to the clock's
            # new value) is stamped, so not even `SET version = …` with SQL moves a record back.
            statements.append(
                f"CREATE TRIGGER {table}_version_update AFTER UPDATE ON {table} "
                f"WHEN NEW.{FIELD} IS OLD.{FIELD} "
                f"OR NEW.{FIELD} IS NOT (SELECT value FROM {CLOCK_TABLE}) "
                f"BEGIN {tick}; {stamp}; END"
            )
    statements += [f"UPDATE {table} SET {FIELD} = NULL" for table in tables]
    return statements


def uninstall_sql(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_version ON {t}" for t in tables] + [
            f"DROP FUNCTION IF EXISTS {STAMP_FUNCTION}()",
            f"DROP SEQUENCE IF EXISTS {SEQUENCE}",
        ]
    triggers = [f"{t}_version_{when}" for t in tables for when in ("insert", "update")]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in triggers] + [
        f"DROP TABLE IF EXISTS {CLOCK_TABLE}"
    ]


def now(cursor: Any, vendor: str) -> int:
    """The clock's value; every version at or below it is committed (`cursor` in autocommit)."""
    if vendor != "postgresql":
        cursor.execute(f"SELECT value FROM {CLOCK_TABLE}")
        return int(cursor.fetchone()[0])
    cursor.execute(f"SELECT pg_advisory_lock({LOCK_KEY})")  # waits out stamping transactions
    try:
        cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
        return int(cursor.fetchone()[0])
    finally:
        cursor.execute(f"SELECT pg_advisory_unlock({LOCK_KEY})")
