"""Error pages for URLs no view answers: under /api/ the API's own error shape, elsewhere Django's pages."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def not_found(request, exception=None):
    """404 for a path no URL pattern matches (a malformed id, a typo): JSON for API clients."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"code": "NOT_FOUND", "message": _("Not found."), "details": {}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500 — what no request should ever see; an API client still gets a body it can parse."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"code": "SERVER_ERROR", "message": _("The server could not answer this request."), "details": {}},
            status=500,
        )
    return defaults.server_error(request)
