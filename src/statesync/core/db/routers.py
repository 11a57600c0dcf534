"""Routes the state edition's tables to the `state` database when this process has one."""

from django.conf import settings

STATE_APP = "state"


def state_db() -> str:
    """The alias holding the state edition's tables."""
    return "state" if "state" in settings.DATABASES else "default"


def district_db() -> str:
    """The alias holding the district edition's tables."""
    return "default"


class StateRouter:
    def db_for_read(self, model, **hints):
        return state_db() if model._meta.app_label == STATE_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        state1 = obj1._meta.app_label == STATE_APP
        state2 = obj2._meta.app_label == STATE_APP
        return None if state1 == state2 else False

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if state_db() == "default":
            return None
        if app_label == STATE_APP:
            return db == "state"
        return db == "default"
