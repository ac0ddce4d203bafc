from django.urls import path

from . import views

app_name = "repayment"

urlpatterns = [
    path("loans/<int:loan_id>/repay/", views.repay, name="repay"),
]
