"""Analyst pages: who may see and change what, and that each page shows the registry's figures."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from risk_models.models import ScorecardTrainingJob, ScorecardVersion

from .conftest import DEMO_DATA, register_card

pytestmark = pytest.mark.django_db
FORM_DEFAULTS = {"target": "bad", "pdo": 20, "base_score": 600, "base_odds": 50, "seed": 42, "test_size": 0.3}


def post_upload(client, *, name="german.csv", content=None, **fields):
    """Submit the training form as an analyst's browser would."""
    upload = SimpleUploadedFile(name, DEMO_DATA.read_bytes() if content is None else content, content_type="text/csv")
    return client.post(reverse("risk_models:training-new"), {**FORM_DEFAULTS, "data": upload, **fields})


@pytest.fixture
def no_worker(monkeypatch):
    """Queued jobs are run by the test itself, not sent to a broker."""
    queued = []
    monkeypatch.setattr("risk_models.services.training_jobs._enqueue", queued.append)
    return queued


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("risk_models:scorecard-list"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_without_the_analytics_permission_are_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("officer", is_staff=True))

    assert client.get(reverse("risk_models:scorecard-list")).status_code == 403


def test_a_holder_of_the_permission_who_is_not_staff_is_refused(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("outsider")
    user.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    client.force_login(user)

    assert client.get(reverse("risk_models:scorecard-list")).status_code == 403


def test_the_list_shows_every_version_with_its_figures(client, analyst, active_card, german):
    candidate = register_card(german, seed=5)
    client.force_login(analyst)

    page = client.get(reverse("risk_models:scorecard-list")).content.decode()

    assert active_card.version in page
    assert candidate.version in page
    assert f"{candidate.test_auc:.4f}" in page


def test_the_detail_page_shows_points_and_history(client, analyst, active_card):
    client.force_login(analyst)

    page = client.get(reverse("risk_models:scorecard-detail", args=[active_card.version])).content.decode()

    assert 'id="characteristics"' in page
    assert "duration_in_month" in page
    assert 'id="events"' in page


def test_the_report_is_served_to_analysts(client, analyst, active_card):
    client.force_login(analyst)

    response = client.get(reverse("risk_models:scorecard-report", args=[active_card.version]))

    assert response.status_code == 200
    assert active_card.version in response.content.decode()


def test_the_artefact_downloads_as_a_skops_file(client, analyst, active_card):
    client.force_login(analyst)

    response = client.get(reverse("risk_models:scorecard-artefact", args=[active_card.version]))

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'{active_card.version}.skops"')


def test_comparison_puts_versions_side_by_side(client, analyst, active_card, german):
    candidate = register_card(german, seed=5)
    client.force_login(analyst)

    response = client.get(
        reverse("risk_models:scorecard-compare"), {"versions": [active_card.version, candidate.version]}
    )

    page = response.content.decode()
    assert response.context["comparison"]["versions"] == [active_card, candidate]
    assert page.count(f"{candidate.test_auc:.4f}") >= 1
    assert page.count(f"{active_card.test_auc:.4f}") >= 1
    assert "status_of_existing_checking_account" in page


def test_an_analyst_activates_a_candidate_from_its_page(client, analyst, active_card, german):
    candidate = register_card(german, seed=5)
    client.force_login(analyst)

    response = client.post(reverse("risk_models:scorecard-activate", args=[candidate.version]))

    assert response.status_code == 302
    candidate.refresh_from_db()
    active_card.refresh_from_db()
    assert (candidate.status, active_card.status) == ("ACTIVE", "RETIRED")
    assert candidate.activated_by == analyst


def test_a_viewer_cannot_activate(client, viewer, active_card, german):
    candidate = register_card(german, seed=5)
    client.force_login(viewer)

    client.post(reverse("risk_models:scorecard-activate", args=[candidate.version]))

    candidate.refresh_from_db()
    assert candidate.status == "CANDIDATE"


def test_an_analyst_sets_a_challenger_with_a_share(client, analyst, active_card, german):
    candidate = register_card(german, seed=5)
    client.force_login(analyst)

    client.post(reverse("risk_models:scorecard-challenger", args=[candidate.version]), {"traffic_share": "0.25"})

    candidate.refresh_from_db()
    assert (candidate.status, str(candidate.traffic_share)) == ("CHALLENGER", "0.2500")


def test_an_upload_creates_a_queued_job_and_enqueues_it_after_commit(
    client, analyst, django_capture_on_commit_callbacks, no_worker
):
    queued = no_worker
    client.force_login(analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(client, exclude="personal_status_and_sex, foreign_worker")

    job = ScorecardTrainingJob.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/jobs/{job.pk}/")
    assert queued == [job.pk]
    assert job.status == "QUEUED"
    assert job.parameters["exclude"] == ["personal_status_and_sex", "foreign_worker"]
    assert job.requested_by == analyst


def test_the_job_runs_and_its_progress_partial_stops_polling_when_done(client, analyst, quick_report, no_worker):
    from risk_models import services

    client.force_login(analyst)
    post_upload(client)
    job = ScorecardTrainingJob.objects.get()
    polling = client.get(reverse("risk_models:training-job-progress", args=[job.pk])).content.decode()

    services.scorecard_training_job_run(job_id=job.pk)

    done = client.get(reverse("risk_models:training-job-progress", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert 'hx-trigger="every 1s"' in polling
    assert job.status == "SUCCEEDED"
    assert job.progress == 1.0
    assert job.version is not None
    assert "hx-trigger" not in done
    assert job.version.version in done


def test_a_bad_upload_fails_the_job_with_the_reason_and_registers_nothing(client, analyst, no_worker):
    from risk_models import services

    client.force_login(analyst)
    post_upload(client, target="default_flag")
    job = ScorecardTrainingJob.objects.get()

    services.scorecard_training_job_run(job_id=job.pk)

    job.refresh_from_db()
    page = client.get(reverse("risk_models:training-job", args=[job.pk])).content.decode()
    assert (job.status, job.error_code) == ("FAILED", "TARGET_MISSING")
    assert "default_flag" in job.error_message
    assert "default_flag" in page
    assert not ScorecardVersion.objects.exists()


def test_the_training_form_rejects_a_file_that_is_not_csv(client, analyst):
    client.force_login(analyst)

    response = post_upload(client, name="german.xlsx", content=b"PK\x03\x04")

    assert response.status_code == 200
    assert response.context["form"].errors["data"]
    assert not ScorecardTrainingJob.objects.exists()


def test_admin_lists_the_registry_and_its_action_activates_through_the_service(admin_client, active_card, german):
    candidate = register_card(german, seed=5)

    listing = admin_client.get(reverse("admin:risk_models_scorecardversion_changelist"))
    admin_client.post(
        reverse("admin:risk_models_scorecardversion_changelist"),
        {"action": "activate", "_selected_action": [candidate.pk]},
    )

    assert listing.status_code == 200
    candidate.refresh_from_db()
    assert candidate.status == "ACTIVE"
    assert candidate.events.filter(action="ACTIVATED").exists()
