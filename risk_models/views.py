"""Analyst pages under /analytics/scorecards/: thin views, each calling one selector or service."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.errors import DomainError

from . import selectors, services
from .forms import ChallengerForm, TrainingForm

VIEW = "risk_models.view_analytics"
ACTIVATE = "risk_models.activate_scorecard"


def analyst(view):
    """Signed-in staff holding the analytics permission; others get the login page or a 403."""

    @wraps(view)
    def staff_only(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(permission_required(VIEW, raise_exception=True)(staff_only))


@analyst
@require_GET
def scorecard_list(request):
    return render(
        request,
        "risk_models/scorecard_list.html",
        {"versions": selectors.scorecard_versions(), "can_activate": request.user.has_perm(ACTIVATE)},
    )


@analyst
@require_GET
def scorecard_detail(request, version):
    row = _version_or_404(version)
    return render(
        request,
        "risk_models/scorecard_detail.html",
        {
            "version": row,
            "characteristics": selectors.scorecard_characteristics(version=row),
            "events": selectors.scorecard_events(version=row),
            "monitoring": selectors.monitoring_snapshots(version=row)[:30],
            "can_activate": request.user.has_perm(ACTIVATE),
            "challenger_form": ChallengerForm(),
        },
    )


@analyst
@require_GET
def scorecard_report(request, version):
    with _stored(_version_or_404(version).report, _("This card has no report.")) as handle:
        return HttpResponse(handle.read(), content_type="text/html; charset=utf-8")


@analyst
@require_GET
def scorecard_artefact(request, version):
    row = _version_or_404(version)
    handle = _stored(row.artefact, _("This card has no artefact."))
    return FileResponse(handle, as_attachment=True, filename=f"{row.version}.skops")


@analyst
@require_GET
def scorecard_compare(request):
    names = [name for name in request.GET.getlist("versions") if name][:4]
    rows = [_version_or_404(name) for name in names]
    return render(
        request,
        "risk_models/scorecard_compare.html",
        {"comparison": selectors.scorecard_comparison(versions=rows), "all_versions": selectors.scorecard_versions()},
    )


@analyst
@require_POST
def scorecard_activate(request, version):
    return _status_change(request, version, services.scorecard_activate, _("%(version)s is now the active card."))


@analyst
@require_POST
def scorecard_retire(request, version):
    return _status_change(request, version, services.scorecard_retire, _("%(version)s is retired."))


@analyst
@require_POST
def scorecard_challenger(request, version):
    form = ChallengerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("risk_models:scorecard-detail", version=version)
    share = form.cleaned_data["traffic_share"]

    def set_challenger(*, version, actor):
        return services.scorecard_challenger_set(version=version, traffic_share=share, actor=actor)

    return _status_change(request, version, set_challenger, _("%(version)s now challenges the active card."))


@analyst
def training_new(request):
    form = TrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.scorecard_training_job_submit(
                upload=form.cleaned_data["data"],
                source_name=form.cleaned_data["data"].name,
                product_code=form.cleaned_data["product_code"].strip(),
                options=form.options(),
                language=get_language(),
                actor=request.user,
            )
        except (DomainError, ValueError) as exc:
            form.add_error(None, getattr(exc, "message", str(exc)))
        else:
            return redirect("risk_models:training-job", job_id=job.pk)
    return render(request, "risk_models/training_new.html", {"form": form})


@analyst
@require_GET
def training_job(request, job_id):
    return render(request, "risk_models/training_job.html", {"job": _job_or_404(job_id)})


@analyst
@require_GET
def training_job_progress(request, job_id):
    """The progress partial htmx polls; once the job is finished it stops asking for itself."""
    return render(request, "risk_models/_training_progress.html", {"job": _job_or_404(job_id)})


def _status_change(request, version, service, done_message):
    if not request.user.has_perm(ACTIVATE):
        messages.error(request, _("You may not change which scorecard is in use."))
        return redirect("risk_models:scorecard-detail", version=version)
    try:
        service(version=version, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message % {"version": version})
    return redirect("risk_models:scorecard-detail", version=version)


def _stored(field, missing_message):
    """The open file behind a version's FileField, or a 404 when it was never written or is gone."""
    if not field or not default_storage.exists(field.name):
        raise Http404(missing_message)
    return default_storage.open(field.name, "rb")


def _version_or_404(version):
    try:
        return selectors.scorecard_version_get(version=version)
    except DomainError as exc:
        raise Http404(exc.message) from exc


def _job_or_404(job_id):
    try:
        return selectors.training_job_get(job_id=job_id)
    except DomainError as exc:
        raise Http404(exc.message) from exc
