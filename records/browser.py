"""The record browser of one stream (being built)."""

from django.http import HttpResponse


def browse(request, stream_id):
    return HttpResponse(status=501)


def record_detail(request, stream_id, space, external_id):
    return HttpResponse(status=501)
