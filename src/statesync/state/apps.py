from django.apps import AppConfig


class StateConfig(AppConfig):
    name = "statesync.state"
    label = "state"
    verbose_name = "State edition"
