"""Real Ed-Fi clients no one here wrote against the state's Ed-Fi door: lightbeam sends the
Grand Bend sample district, validates, counts, fetches and deletes it; edfi-api-client reads
it back (docs/EDFI.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from edfi_api_client import EdFiClient

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.models import EdfiClient, copy_model
from statesync.tools.demo.edfi import SAMPLE, convert, first_students, write

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

LIGHTBEAM = str(Path(sys.executable).parent / "lightbeam")


def lightbeam(config: Path, command: str, *args: str) -> str:
    """Run `lightbeam COMMAND`; its results file's text (JSON, or count's table)."""
    results = config.parent / f"{command}-results.out"
    results.unlink(missing_ok=True)
    done = subprocess.run(
        [LIGHTBEAM, command, "-c", str(config), "--results-file", str(results), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return results.read_text() if results.exists() else ""


def failures(results: str) -> dict[str, list[tuple[int, int, str]]]:
    """{resource: [(status, count, message)]} from a `send` results file."""
    resources = json.loads(results)["resources"]
    return {
        name: [(f["status_code"], f["count"], f["message"]) for f in found.get("failures", [])]
        for name, found in resources.items()
        if found.get("failures")
    }


STUDENTS = 120  # an eighth of Grand Bend's students: the suite stays quick (docs/EDFI.md)


@pytest.fixture
def configured(live_server, registered, tmp_path):
    client, secret = EdfiClient.issue(registered[0], "lightbeam")
    data = tmp_path / "data"
    counts = write(first_students(convert(SAMPLE), STUDENTS), data)
    config = tmp_path / "lightbeam.yml"
    config.write_text(
        "\n".join(
            [
                f"state_dir: {tmp_path / 'state'}",
                f"data_dir: {data}",
                "namespace: ed-fi",
                "edfi_api:",
                f"  base_url: {live_server.url}/edfi",
                "  version: 3",
                "  mode: shared_instance",
                f"  client_id: {client.key}",
                f"  client_secret: {secret}",
                "connection:",
                "  pool_size: 8",
                "  timeout: 60",
                "  num_retries: 3",
                "  backoff_factor: 1.5",
                "  retry_statuses: [500, 502, 503, 504]",
                "  verify_ssl: False",
                "log_level: INFO",
                "show_stacktrace: True",
                "force_delete: True",
                "validate:",
                # Descriptors are the state's, read-only, so lightbeam's descriptor check
                # (which reads only descriptors a client may create) is not asked for, nor its
                # reference check, which needs resources not served (schoolYearTypes).
                "  methods: [schema, uniqueness]",
            ]
        )
    )
    fetching = tmp_path / "fetched"
    fetching.mkdir()
    (tmp_path / "fetch.yml").write_text(
        config.read_text().replace(f"data_dir: {data}", f"data_dir: {fetching}")
    )
    return config, counts


def test_lightbeam_sends_grand_bend_and_every_rejection_is_one_the_mapping_explains(
    configured, registered, live_server
):
    config, counts = configured
    district = registered[0]
    sent = json.loads(lightbeam(config, "send"))
    refused = failures(json.dumps(sent))
    # Grand Bend's courses carry no code from the state's course code set (docs/EDFI.md):
    # every section is refused for it, and nothing else is refused.
    assert set(refused) == {"sections"}
    assert sum(n for _, n, _ in refused["sections"]) == counts["sections"]
    assert all(
        status == 400
        and message.startswith(("E-REQUIRED: State Course Code", "E-FORMAT: State Course Code"))
        for status, _, message in refused["sections"]
    )
    using = state_db()
    held = {
        name: copy_model(name)._default_manager.using(using).filter(tenant=district).count()  # type: ignore[misc]
        for name in catalog.NAMES
    }
    assert held == {
        "District": 1,
        "School": 3,
        "Calendar": 3,
        "CourseSection": 0,  # refused, above
        # Derived at the state (docs/EDFI.md): twelve months and one structure a calendar, a
        # term schedule of each school's two sessions, a period schedule a bell schedule, a day
        # a calendar date.
        "SchoolMonth": 36,
        "ScheduleStructure": 3,
        "TermSchedule": 3,
        "PeriodSchedule": counts["bellSchedules"],
        "Day": counts["calendarDates"],
        "PersonIdentity": counts["students"],
        "Enrollment": counts["studentSchoolAssociations"],
    }

    # A second send of the same records changes nothing: every answer 200, no new version.
    versions = httpx.get(
        f"{live_server.url}/edfi/changeQueries/v1/availableChangeVersions",
        headers={"Authorization": f"Bearer {token(live_server, config)}"},
    ).json()["newestChangeVersion"]
    again = json.loads(lightbeam(config, "send", "--force"))
    for name, found in again["resources"].items():
        assert {s["status_code"] for s in found.get("successes", [])} <= {200}, name
    after = httpx.get(
        f"{live_server.url}/edfi/changeQueries/v1/availableChangeVersions",
        headers={"Authorization": f"Bearer {token(live_server, config)}"},
    ).json()["newestChangeVersion"]
    assert after == versions

    # lightbeam checks the data against the state's generated OpenAPI document and for
    # duplicates: only Grand Bend's one duplicate offering is named.
    checked = json.loads(lightbeam(config, "validate"))
    assert checked["total_records_failed"] == 1, checked
    [offerings] = checked["resources"]["courseOfferings"]["failures"]
    assert "duplicate" in offerings["message"].lower()
    lightbeam(
        config.parent / "fetch.yml", "fetch", "-s", "students", "-d", "_etag,_lastModifiedDate"
    )
    fetched = (config.parent / "fetched" / "students.jsonl").read_text().splitlines()
    assert len(fetched) == counts["students"] and '"id"' in fetched[0]

    table = lightbeam(config, "count")
    assert f"{counts['students']}\tstudents" in table.replace(", ", "\t").replace(",", "\t")

    # The state's reader takes the copy out with edfi-api-client, state IDs included.
    from statesync.state.people import resolver

    resolver.resolve_all(using)
    reader, secret = EdfiClient.issue(None, "reporting")
    api = EdFiClient(f"{live_server.url}/edfi", reader.key, secret)
    assert api.get_newest_change_version() >= after
    students = list(api.resource("students").get_rows(page_size=100))
    assert len(students) == counts["students"]
    associations = api.resource("studentEducationOrganizationAssociations").get_rows(page_size=250)
    state_ids = [
        code["identificationCode"]
        for row in associations
        for code in row.get("studentIdentificationCodes", [])
        if code["studentIdentificationSystemDescriptor"].endswith("#State")
    ]
    assert len(set(state_ids)) == counts["students"]

    lightbeam(config, "delete", "--force")
    left = {
        name: copy_model(name)._default_manager.using(using).filter(tenant=district).count()  # type: ignore[misc]
        for name in catalog.NAMES
    }
    assert left == dict.fromkeys(left, 0)


def token(live_server, config: Path) -> str:
    settings = {
        line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip()
        for line in config.read_text().splitlines()
        if line.startswith("  client_")
    }
    answer = httpx.post(
        f"{live_server.url}/edfi/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(settings["client_id"], settings["client_secret"]),
    )
    return answer.json()["access_token"]
