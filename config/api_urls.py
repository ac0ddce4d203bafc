"""`/api/v1/`: each app contributes its own `api/urls.py` here as it grows."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include("lending.api.urls")),
    path("payments/", include("payments.api.urls")),
    path("", include("repayment.api.urls")),
]
