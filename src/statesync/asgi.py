"""What `statesync serve` runs: Django behind the door that passes only whole requests."""

# Django is set up by importing its WSGI application, before the door imports its models.
from statesync.wsgi import application as django_application  # noqa: I001
from statesync.web.whole_requests import WholeRequests

application = WholeRequests(django_application)
