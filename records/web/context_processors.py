from django.conf import settings


def cdf(request):
    return {"cdf_project": settings.CDF_PROJECT}
