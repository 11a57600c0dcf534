from django.apps import AppConfig


class DistrictConfig(AppConfig):
    name = "statesync.district"
    label = "district"
    verbose_name = "District edition"

    def ready(self) -> None:
        # Models are loaded only now, so the signal handlers cannot be imported at the top.
        from statesync.district import signals  # noqa: PLC0415
        from statesync.district.worker import tasks  # noqa: F401, PLC0415 (registers the tasks)

        signals.connect()
