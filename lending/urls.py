from django.urls import path

from . import views

app_name = "lending"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("apply/", views.apply, name="apply"),
    path("apply/preview/", views.apply_preview, name="apply-preview"),
    path("applications/<int:application_id>/", views.application_detail, name="application"),
    path("applications/<int:application_id>/offer/", views.offer, name="offer"),
    path("loans/", views.loans, name="loans"),
]
