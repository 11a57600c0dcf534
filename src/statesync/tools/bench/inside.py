"""Inside the bench's own data folder: seed, serve, and time each measure (docs/DESIGN.md §11)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from statesync.access.models import PersonalToken
from statesync.core import catalog, config, wire
from statesync.core.db import bulk
from statesync.core.db.routers import state_db
from statesync.core.sync import pipeline, source
from statesync.core.sync.client import batch_body
from statesync.district.models import Message, SchoolYear, dis_model
from statesync.state.ingest import apply as ingest
from statesync.state.ingest import copies, received
from statesync.state.models import District, StatePerson
from statesync.tools.bench import cpu, edfi, history
from statesync.tools.bench.child import vm_hwm_kb
from statesync.tools.bench.report import Figure, Report, machine, percentiles
from statesync.tools.bench.stalled import STALLED, stalled_connections
from statesync.tools.demo import seed
from statesync.web.server import free_port, server_argv


def sql_change(obj: catalog.DisObject) -> tuple[str, str]:
    """A change that keeps a record valid, as (column, SQL value): its first free-text field
    gets a '*', or else its first coded field another code of the state's set."""
    for f in obj.fields:
        if f.kind == "str" and not f.pattern and not f.codes:
            return f.name, f"{f.name} || '*'"
    coded = next(f for f in obj.fields if f.kind == "str" and f.codes)
    return coded.name, f"'{coded.codes[-1]}'"


def run_inside(scale: str | int, calls: int = 200, log=print) -> Report:
    """Seed, serve, and measure each figure beside the raw database rate."""
    call_command("migrate", verbosity=0)  # every database
    log(f"seeding ({scale}) …")
    district = seed.generate(scale, 2024, 1, defects=False)
    seed.write(district)
    del district
    SchoolYear.activate(2024)
    total = sum(_count(name) for name in catalog.NAMES)
    report = Report(str(scale), total, connections[state_db()].vendor, machine())
    log("the state alone, in process …")
    alone = state_alone(2024)
    with StateServer() as server:
        env = server.connect()
        log("raw upsert limits …")
        report.figures += raw_limits(total)
        for name, mode, note in (
            ("force full resync (HTTP)", "force", "every record sent and validated"),
            ("differential, nothing changed", "differential", ""),
        ):
            log(f"{name} …")
            report.figures.append(timed_resync(name, mode, env, note, server))
            if mode == "force":
                report.figures.append(alone)
                report.figures += message_history_cost(env, server, total)
        changed = change_one_percent()
        log("differential, 1% changed by SQL …")
        report.figures.append(
            timed_resync(
                "differential, 1% changed by SQL",
                "differential",
                env,
                f"{changed:,} records changed",
                server,
            )
        )
        log("verify …")
        report.figures.append(timed_resync("verify", "verify", env, "compare only", server))
        log("selective sync latency …")
        secret = api_token()
        report.selective_ms = selective_latency(server.url, secret, calls)
        log(f"selective sync latency beside {STALLED} stalled clients …")
        with stalled_connections(server.port) as held:
            report.stalled_ms = {**selective_latency(server.url, secret, calls), "stalled": held}
        report.web_peak_mb = server.peak_mb()
        reason = edfi.why_not()
        if reason:
            log(f"Ed-Fi POSTs: not measured, {reason}")
        else:
            log("Ed-Fi POSTs by lightbeam …")
            # Below the seed scale (the tests' small bench), smaller samples.
            whole = total >= edfi.WHOLE_SAMPLE_FROM
            students = None if whole else edfi.SMALL_SAMPLE
            schools = edfi.SEED_SCHOOLS if whole else edfi.SMALL_SEED_SCHOOLS
            report.figures += edfi.lightbeam_send(server.url, students, schools)
    report.history = message_history_at_scale(total, log)
    return report


def message_history_at_scale(total: int, log) -> dict:
    """A million messages beside the seed scale's (a small bench, a fiftieth), searched by
    the page and exported whole (docs/MESSAGES.md)."""
    count = history.MESSAGES if total >= edfi.WHOLE_SAMPLE_FROM else history.MESSAGES // 50
    log(f"Message History: {count:,} messages …")
    history.fill(count)
    held = Message.objects.count()  # with the bench's own runs' messages
    return {
        "messages": count,
        "held": held,
        "searches": history.searches(),
        "csv": history.csv_report(),
    }


def message_history_cost(env: dict, server: StateServer, total: int) -> list[Figure]:
    """A forced resync again, with its batches left out of the Message History and recorded,
    after a run that warms up (the first run after a first resync is 25-35 % slower whatever
    it does: seen on both databases), in the order off, on, on, off, which cancels a steady
    drift, twice: one such round on PostgreSQL read anywhere from +1.4 % to +5.5 % for the
    same code. Below the seed scale (the tests' small bench) one round: a run there is mostly
    its processes starting, which says nothing of 5 %. The last row says what recording cost,
    all pairs together (docs/MESSAGES.md)."""
    off_env = {**env, "STATESYNC_RECORD_RUN_MESSAGES": "0"}
    rounds = 2 if total >= edfi.WHOLE_SAMPLE_FROM else 1
    warm = timed_resync("force again, to warm up", "force", env, "not compared", server)
    figures = [
        timed_resync(f"force again, Message History {state}", "force", which, "", server)
        for state, which in (("off", off_env), ("on", env), ("on", env), ("off", off_env)) * rounds
    ]
    off = sum(f.seconds for f in figures if f.name.endswith("off"))
    on = sum(f.seconds for f in figures if f.name.endswith("on"))
    figures[-1].note = f"recording: {on / off - 1:+.1%} of the time (all {2 * rounds} pairs)"
    return [warm, *figures]


def state_alone(school_year: int) -> Figure:
    """A forced first resync's batches, judged and stored by the state in this process: the
    run without HTTP and without waiting for the district, so what the state's own chain of
    batches takes (docs/PERFORMANCE.md, "Method"). The state is left empty again, for the
    resyncs measured over HTTP."""
    tenant = District.register("0001", "Bench District")
    with _timing(received, "record_batch") as recording:
        seconds, records = _apply_all(tenant, school_year)
    call_command("flush", database=state_db(), interactive=False, verbosity=0)
    if District.objects.using(state_db()).exists() or StatePerson.objects.exists():
        raise RuntimeError("the bench could not empty the state after measuring it alone")
    note = (
        "the same batches applied in process: no HTTP, no district; keeping each batch's "
        f"message took {recording[0] / seconds:.1%} of it"
    )
    return Figure("force, the state alone", records, seconds, note=note)


@contextlib.contextmanager
def _timing(module, name: str):
    """Seconds spent in `module.name` while the block runs, in a one-item list."""
    spent, original = [0.0], getattr(module, name)

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    setattr(module, name, timed)
    try:
        yield spent
    finally:
        setattr(module, name, original)


def _apply_all(tenant: District, school_year: int) -> tuple[float, int]:
    """Every object's batches applied, parents first: seconds and records."""
    seconds, records = 0.0, 0
    for obj in map(catalog.get, catalog.order()):
        batch: list[source.Outgoing] = []
        for record in source.records(obj.name, school_year):
            if isinstance(record, source.Outgoing):  # the bench's district has no defects
                batch.append(record)
            if len(batch) == pipeline.BATCH_SIZE:
                seconds += _apply(tenant, obj, batch, school_year)
                records, batch = records + len(batch), []
        if batch:
            seconds += _apply(tenant, obj, batch, school_year)
            records += len(batch)
    return seconds, records


def _apply(
    tenant: District, obj: catalog.DisObject, batch: list[source.Outgoing], school_year: int
) -> float:
    """Seconds the state takes to decode and apply one batch, as its API does."""
    body = batch_body(batch, run=1, school_year=school_year)
    started = time.perf_counter()
    envelope, records, failures = wire.decode_batch(obj.name, body)
    ingest.apply_batch(tenant, obj, envelope, records, failures)
    return time.perf_counter() - started


def _count(name: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {catalog.OBJECTS[name].district_table}")
        return cursor.fetchone()[0]


RAW_FORMS = {
    "as is": "the copy tables as they are (surrogate id, secondary indexes)",
    "key only": "the same columns keyed (tenant, record) alone",
    "key only, binary": "the same, binary COPY (PostgreSQL)",
}


def raw_limits(total: int) -> list[Figure]:
    """The state database's own rate for the same records with no statesync in the way, in
    each form: the copy tables as they are, and the best achievable (key only; on PostgreSQL
    also binary COPY). What each costs is the gap between them."""
    using = state_db()
    connection = connections[using]
    forms = [f for f in RAW_FORMS if connection.vendor == "postgresql" or "binary" not in f]
    seconds = dict.fromkeys(forms, 0.0)
    tenant = District.objects.get(number="0001")
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    digest = b"\0" * 16
    for name in catalog.order():
        obj = catalog.OBJECTS[name]
        extra_year = obj.year_column
        columns = copies.columns(obj)
        rows = []
        for *row, version in source.rows(name, 2024):  # the version comes last
            values = [tenant.pk, *row]
            rows.append(
                [*values, 2024, digest, stamp, None, version]
                if extra_year
                else [*values, digest, stamp, None, version]
            )
        for form in forms:
            table = obj.state_table if form == "as is" else _key_only_copy(connection, obj)
            started = time.perf_counter()
            with transaction.atomic(using=using):
                _raw_write(connection, table, columns, rows, binary="binary" in form)
            seconds[form] += time.perf_counter() - started
            if table != obj.state_table:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP TABLE {table}")
    # The copy tables start empty again, as at go-live. On PostgreSQL a DELETE would leave every
    # row dead in place, and the resync's key lookups stepped over them (force: 16.3 s, not
    # 12) until a vacuum, which autovacuum does not promise to run before it starts.
    emptied = "TRUNCATE" if connection.vendor == "postgresql" else "DELETE FROM"
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for name in reversed(catalog.order()):
            cursor.execute(f"{emptied} {catalog.OBJECTS[name].state_table}")
    method = "COPY" if connection.vendor == "postgresql" else "executemany upsert"
    return [
        Figure(f"raw upsert, {form}", total, seconds[form], note=f"{method}: {RAW_FORMS[form]}")
        for form in forms
    ]


def _key_only_copy(connection, obj: catalog.DisObject) -> str:
    """An empty table shaped like `obj`'s copy table with only its key, (tenant, record): no
    surrogate ID, no foreign key to the district registry, no secondary index."""
    table = f"bench_raw_{obj.state_table}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {table} (LIKE {obj.state_table} INCLUDING DEFAULTS)")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN id")  # the key is the record's
            cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({copies.TENANT}, record_id)")
        else:
            described = connection.introspection.get_table_description(cursor, obj.state_table)
            kept = ", ".join(f'"{c.name}" {c.type_code}' for c in described if c.name != "id")
            key = f"PRIMARY KEY ({copies.TENANT}, record_id)"
            cursor.execute(f"CREATE TABLE {table} ({kept}, {key}) WITHOUT ROWID")
    return table


def _raw_write(connection, table: str, columns: list[str], rows: list, binary: bool) -> None:
    if connection.vendor == "postgresql":
        if not binary:
            bulk.insert_rows(connection, table, columns, rows)
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0",
                [table],
            )
            types = dict(cursor.fetchall())
            raw = cursor.cursor
            with raw.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types([types[c] for c in columns])
                for row in rows:
                    copy.write_row(row)
        return
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            f"({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({copies.TENANT}, record_id) DO UPDATE SET {updates}",
            rows,
        )


def timed_resync(
    name: str, mode: str, env: dict, note: str = "", server: StateServer | None = None
) -> Figure:
    """One resync of everything in its own process: its run's duration and peak memory, the
    whole command's with the state's changes it applied down after the run, when the state's
    identity resolver had settled the run's records, and (with `server`) each process's CPU."""
    code = f"from statesync.tools.bench.child import child_resync; child_resync({mode!r})"
    before = _cpu(server)
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "statesync.settings"},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name}: resync failed: {done.stderr.decode()[-2000:]}")
    report = json.loads(done.stdout)
    result = report["result"]
    if result["status"] != "succeeded":
        raise RuntimeError(f"{name}: run ended {result['status']}: {result['message']}")
    seconds = sum(o["seconds"] for o in result["objects"])
    records = sum(o["processed"] for o in result["objects"])
    used = {k: v - before.get(k, 0.0) for k, v in _cpu(server).items()}
    used["district"] = report["cpu_seconds"]
    return Figure(
        name,
        records,
        seconds,
        peak_mb=report["peak_kb"] / 1024,
        note=note,
        command_seconds=report["command_seconds"],
        applied_down=report["applied_down"],
        identity_seconds=_identity_seconds(result),
        cpu_seconds=used,
    )


def _cpu(server: StateServer | None) -> dict[str, float]:
    """CPU seconds so far of the state's processes and, on PostgreSQL, the database's."""
    if server is None:
        return {}
    used = cpu.server(server.process.pid)
    if connections[state_db()].vendor == "postgresql":
        used["database"] = cpu.postgres()
    return used


def _identity_seconds(result: dict) -> float | None:
    """Seconds from the run's end until the state's identity resolver had settled its records
    and their state IDs were applied (None when none awaited identity)."""
    settled, finished = result.get("identity_settled_at"), result.get("finished_at")
    if not (settled and finished and result.get("awaiting_identity")):
        return None
    return (
        dt.datetime.fromisoformat(settled) - dt.datetime.fromisoformat(finished)
    ).total_seconds()


def change_one_percent() -> int:
    changed = 0
    with transaction.atomic(), connections["default"].cursor() as cursor:
        for obj in catalog.OBJECTS.values():
            column, value = sql_change(obj)
            cursor.execute(
                f"UPDATE {obj.district_table} SET {column} = {value} "
                f"WHERE id % 100 = 0 AND ({column} IS NULL OR {column} <> {value})"
            )
            changed += cursor.rowcount
    return changed


def api_token() -> str:
    """A personal API token of a bench superuser."""
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
    return PersonalToken.issue(user, "bench")[1]


def selective_latency(url: str, secret: str, calls: int) -> dict[str, float]:
    """Selective sync of one person, `calls` times, through the district API over HTTP."""
    person = catalog.selective_objects()[0]
    ids = list(dis_model(person.name).objects.values_list("pk", flat=True)[:5000])
    rng = random.Random(7)
    times = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as c:
        for _ in range(calls):
            started = time.perf_counter()
            response = c.post(
                "/api/district/v1/selective-sync",
                json={"object": person.name, "ids": [rng.choice(ids)]},
            )
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or response.json()["synced"] == []:
                raise RuntimeError(
                    f"selective sync failed: {response.status_code} {response.text[:500]}"
                )
    found = percentiles(times)
    return {"calls": found.pop("count"), **found}


class StateServer:
    """statesync serve (hypercorn) serving both editions from the bench's data folder."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StateServer:
        # Its output goes to a file in the bench's folder, so a server that fails says why.
        self.log_path = config.get_home() / "bench-server.log"
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                server_argv("127.0.0.1", self.port, workers=1), stdout=out, stderr=out
            )
        # Generous: under a loaded machine (the full test suite on PostgreSQL) it took over 30 s.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.get(self.url + "/login/", timeout=5)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.__exit__()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(
            f"the bench's web server on port {self.port} did not start "
            f"(exit code {self.process.returncode}); it said:\n{tail}"
        )

    def connect(self) -> dict:
        """Register the district at the state; the environment resyncs run with."""
        token = District.register("0001", "Bench District").issue_token()
        config.save_dis_connection(self.url, token)  # for the server's own district side
        return {**os.environ, "STATESYNC_STATE_URL": self.url, "STATESYNC_STATE_TOKEN": token}

    def peak_mb(self) -> float:
        """Peak resident memory of the server's worker processes (VmHWM)."""
        peak = 0
        for pid in _children(self.process.pid):
            with contextlib.suppress(OSError):
                peak = max(peak, vm_hwm_kb(pid))
        return peak / 1024

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(") ")[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found
