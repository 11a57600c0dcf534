from django.apps import AppConfig


class RouterConfig(AppConfig):
    name = "statesync.router"
    label = "router"
    verbose_name = "National Records Exchange router"
