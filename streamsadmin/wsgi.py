import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "streamsadmin.settings")

application = get_wsgi_application()

from records.web.auth import check_auth_mode  # noqa: E402  (needs the settings loaded above)

check_auth_mode()
