"""/dashboards/: the page, the panels partial htmx swaps in when a filter changes, and each table as CSV.

Thin: each view reads the filters and calls one builder; analysts only (risk_models.view_analytics)."""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..views import analyst
from . import panels, selectors
from .forms import DashboardFilterForm, requested_end


def _context(request) -> dict:
    data = request.GET or None
    run = selectors.indicator_run_for(on_or_before=requested_end(request.GET)) or selectors.indicator_run_for()
    choices = selectors.filter_choices(run=run) if run else {"products": [], "partners": [], "channels": []}
    form = DashboardFilterForm(data, choices=choices)
    context = {"form": form, "run": run, "panels": [], "query": request.GET.urlencode()}
    if run is not None:
        context["view"] = form.slice_for(run.as_of)
        context["options"] = form.options()
        if not form.is_bound:  # show the range the panels use
            form.initial = {"date_from": context["view"].date_from, "date_to": context["view"].date_to}
    return context


def _page(request, template: str):
    context = _context(request)
    if context["run"] is not None:
        context["panels"] = panels.panels_build(context["view"], context["options"])
    return render(request, template, context)


@analyst
@require_GET
def dashboard(request):
    return _page(request, "risk_models/dashboards/index.html")


@analyst
@require_GET
def dashboard_panels(request):
    """The panels alone: what htmx swaps in when a filter changes."""
    return _page(request, "risk_models/dashboards/_panels.html")


@analyst
@require_GET
def dashboard_export(request, panel):
    build = panels.PANELS.get(panel)
    context = _context(request)
    if build is None or context["run"] is None:
        raise Http404(panel)
    built = build(context["view"], context["options"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{panel}-{context["run"].as_of.isoformat()}.csv"'
    response.write("\ufeff")  # a byte-order mark, so that spreadsheet programs read the Chinese headings
    writer = csv.writer(response)
    writer.writerow(built.table.headings)
    writer.writerows(built.table.csv_rows())
    return response
