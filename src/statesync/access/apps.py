from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "statesync.access"
    label = "access"
    verbose_name = "Tool rights and audit"
