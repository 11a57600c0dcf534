from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "statesync.web"
    label = "web"
    verbose_name = "Web pages"
