"""`manage.py check --deploy`: the emulator is a development and test tool, not for production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def emulator_enabled(app_configs, **kwargs) -> list[Warning]:
    if not settings.EMULATOR_ENABLED:
        return []
    return [
        Warning(
            "The embedded CDF emulator is mounted at /emulator: anyone with one of its tokens "
            "(EMULATOR_TOKENS, or issued to EMULATOR_CLIENTS) may read and change its data.",
            hint="Set EMULATOR_ENABLED=false in production and point CDF_BASE_URL at CDF.",
            id="emulator.W001",
        )
    ]
