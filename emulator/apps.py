from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    name = "emulator"
    verbose_name = "Embedded CDF Records emulator"

    def ready(self):
        from . import checks  # noqa: F401 (registers the deploy check)
