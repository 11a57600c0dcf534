from django.apps import AppConfig


class DistrictConfig(AppConfig):
    name = "statesync.district"
    label = "district"
    verbose_name = "District edition"

    def ready(self) -> None:
        from statesync.district import signals

        signals.connect()
