"""Routes the state edition's and the router's tables to their own databases when this
process has them (role "both": every edition in one process)."""

from django.conf import settings

# Each edition's app label → the alias that holds its tables when the process has one.
OWN_DATABASE = {"state": "state", "router": "router"}


def state_db() -> str:
    """The alias holding the state edition's tables."""
    return "state" if "state" in settings.DATABASES else "default"


def router_db() -> str:
    """The alias holding the National Records Exchange router's tables."""
    return "router" if "router" in settings.DATABASES else "default"


def district_db() -> str:
    """The alias holding the district edition's tables."""
    return "default"


def _alias(app_label: str) -> str:
    own = OWN_DATABASE.get(app_label)
    return own if own in settings.DATABASES else "default"


class StateRouter:
    def db_for_read(self, model, **hints):
        alias = _alias(model._meta.app_label)
        return None if alias == "default" else alias

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        same = _alias(obj1._meta.app_label) == _alias(obj2._meta.app_label)
        return None if same else False

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return _alias(app_label) == db
