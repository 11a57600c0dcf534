"""Hypothesis settings shared by the schemathesis tests of both APIs."""

from hypothesis import HealthCheck, settings

# Derandomised, so a run is repeatable; 25 examples per operation keeps the suite quick.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
