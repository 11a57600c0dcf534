from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "statesync.access"
    label = "access"
    verbose_name = "Tool rights and audit"

    def ready(self) -> None:
        # Models are loaded only now, so the signal handlers cannot be imported at the top.
        from statesync.access import door, signals  # noqa: PLC0415
        from statesync.access.admin import audit_every_admin  # noqa: PLC0415

        signals.connect()
        door.install()
        # Admin's own ready() came first (it is the first app) and registered every app's.
        audit_every_admin()
