from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "statesync.web"
    label = "web"
    verbose_name = "Web pages"

    def ready(self) -> None:
        from statesync.web import checks  # noqa: F401, PLC0415  (registers its checks once apps load)
