"""gunicorn's configuration for Streams Admin: `gunicorn -c python:streamsadmin.gunicorn streamsadmin.wsgi`.

Checks the app cannot make itself, because only the server sees the raw request: by the time Django
reads it, a repeated header has been joined into one value with commas.
"""

from gunicorn.http.errors import InvalidHeader


def pre_request(worker, req):
    """Refuse (400) a request that names its user twice, and a SCRIPT_NAME from the proxy that is not
    where the path starts (gunicorn would answer that with a server error)."""
    from django.conf import settings

    identity = {
        name.upper()
        for name in (
            settings.PROXY_USER_HEADER,
            settings.PROXY_EMAIL_HEADER,
            settings.PROXY_GROUPS_HEADER,
            settings.PROXY_TOKEN_HEADER,
        )
    }
    seen = set()
    for name, value in req.headers:
        if name in identity:
            if name in seen:
                raise InvalidHeader(f"{name} sent more than once", req=req)
            seen.add(name)
        elif name == "SCRIPT_NAME" and not req.path.startswith(value):
            raise InvalidHeader("SCRIPT_NAME is not where the path starts", req=req)
