"""The test run itself: its data (databases, queue, Hypothesis's examples, figures) is kept
outside the checkout, so a run leaves nothing behind in it, and a second run of the same
checkout is refused while one goes on; and tests/README.md, the tests by area, names every
test module."""

import os
import subprocess
import sys

from hypothesis import configuration

from tests import environment
from tests.reliability import figures


def test_the_suite_keeps_its_data_outside_the_checkout():
    for folder in (
        environment.HOME,
        environment.RUNS,
        configuration.storage_directory(intent_to_write=False).path,
        figures.OUTPUT,
    ):
        assert not folder.resolve().is_relative_to(environment.CHECKOUT), folder


def test_the_tests_readme_names_every_test_module():
    index = (environment.CHECKOUT / "tests" / "README.md").read_text()
    tests = environment.CHECKOUT / "tests"
    unnamed = [
        path.relative_to(tests).as_posix()
        for path in sorted(tests.glob("*/test_*.py"))
        if f"`{path.relative_to(tests).as_posix()}`" not in index
    ]
    assert unnamed == []


def test_a_second_run_of_this_checkout_is_refused_while_this_one_goes_on():
    # This run holds the checkout's lock (its controller does, under pytest-xdist); a second
    # run started now would share its databases, and its teardown would delete them.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "STATESYNC_HOME"))}
    only = "tests/unit/test_names.py"
    second = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", only],
        cwd=environment.CHECKOUT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = second.stdout + second.stderr
    assert second.returncode == 4, said  # pytest's usage error: nothing ran
    assert "another test run of this checkout is going on (pid " in said
    assert str(environment.RUNS) in said
    assert "passed" not in said
