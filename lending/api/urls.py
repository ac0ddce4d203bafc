from django.urls import path

from . import views

urlpatterns = [
    path("products/", views.ProductListApi.as_view(), name="api-products"),
    path("applications/", views.ApplicationListApi.as_view(), name="api-applications"),
    path("applications/<int:application_id>/", views.ApplicationDetailApi.as_view(), name="api-application"),
    path(
        "applications/<int:application_id>/accept/",
        views.ApplicationAcceptApi.as_view(),
        name="api-application-accept",
    ),
]
