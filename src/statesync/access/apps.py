from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "statesync.access"
    label = "access"
    verbose_name = "Tool rights and audit"

    def ready(self) -> None:
        # Models are loaded only now, so the signal handlers cannot be imported at the top.
        from statesync.access import signals  # noqa: PLC0415

        signals.connect()
