from django.urls import path

from . import views

app_name = "risk_models"

urlpatterns = [
    path("scorecards/", views.scorecard_list, name="scorecard-list"),
    path("scorecards/compare/", views.scorecard_compare, name="scorecard-compare"),
    path("scorecards/train/", views.training_new, name="training-new"),
    path("scorecards/jobs/<int:job_id>/", views.training_job, name="training-job"),
    path("scorecards/jobs/<int:job_id>/progress/", views.training_job_progress, name="training-job-progress"),
    path("scorecards/<str:version>/", views.scorecard_detail, name="scorecard-detail"),
    path("scorecards/<str:version>/report/", views.scorecard_report, name="scorecard-report"),
    path("scorecards/<str:version>/artefact/", views.scorecard_artefact, name="scorecard-artefact"),
    path("scorecards/<str:version>/activate/", views.scorecard_activate, name="scorecard-activate"),
    path("scorecards/<str:version>/challenger/", views.scorecard_challenger, name="scorecard-challenger"),
    path("scorecards/<str:version>/retire/", views.scorecard_retire, name="scorecard-retire"),
]
