from django.urls import path

from . import views

urlpatterns = [
    path("loans/", views.LoanListApi.as_view(), name="api-loans"),
    path("loans/<int:loan_id>/", views.LoanDetailApi.as_view(), name="api-loan"),
    path("loans/<int:loan_id>/schedule/", views.LoanScheduleApi.as_view(), name="api-loan-schedule"),
    path("loans/<int:loan_id>/payoff-quote/", views.PayoffQuoteApi.as_view(), name="api-loan-payoff-quote"),
    path("loans/<int:loan_id>/repayments/", views.RepaymentCreateApi.as_view(), name="api-loan-repayments"),
    path("repayments/<int:repayment_id>/", views.RepaymentDetailApi.as_view(), name="api-repayment"),
]
