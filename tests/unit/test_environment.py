"""The suite's own data (databases, queue, Hypothesis's examples, figures) is kept outside
the checkout, so a test run leaves nothing behind in it."""

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
