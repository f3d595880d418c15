from django.db import connection
from django.http import JsonResponse

from .streams import streams_page

home = streams_page


def health(request):
    """For load balancers and orchestrators: the app answers and its database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
