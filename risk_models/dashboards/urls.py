from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("panels/", views.dashboard_panels, name="panels"),
    path("export/<slug:panel>.csv", views.dashboard_export, name="export"),
]
