"""The test run itself: its data (databases, queue, Hypothesis's examples, figures) is kept
outside the checkout, so a run leaves nothing behind in it; and tests/README.md, the tests by
area, names every test module."""

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
