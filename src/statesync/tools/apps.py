from django.apps import AppConfig


class ToolsConfig(AppConfig):
    """The demo, the bench and their commands (`seed` only where a district edition is)."""

    name = "statesync.tools"
    label = "tools"
    verbose_name = "Demo and bench"
