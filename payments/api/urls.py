from django.urls import path

from .views import ChannelCallbackView

app_name = "payments-api"

urlpatterns = [
    path("callbacks/<str:channel>/", ChannelCallbackView.as_view(), name="callback"),
]
