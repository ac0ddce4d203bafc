"""The dashboard's filters: a date range of periods, one product / partner / channel, and how to cut."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..indicators.definitions import add_months, month_start
from .panels import Options
from .selectors import Slice

APPROVAL_BY = [
    ("channel", _("by channel")),
    ("product_code", _("by product")),
    ("scorecard_version", _("by scorecard version")),
]
OUTSTANDING_BY = [("product_code", _("by product")), ("partner_code", _("by funder")), ("grade", _("by grade"))]
BASIS = [("balance", _("by balance")), ("count", _("by count"))]
# The default range: the twelve months up to the date shown.
DEFAULT_MONTHS = 12


def requested_end(data) -> date | None:
    """The end of the asked range, read before the form (whose choices depend on the computation it picks)."""
    try:
        return forms.DateField(required=False).clean(data.get("date_to"))
    except ValidationError:
        return None


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ChoiceField(label=_("Product"), required=False)
    partner = forms.ChoiceField(label=_("Partner"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    approval_by = forms.ChoiceField(label=_("Approval rate"), choices=APPROVAL_BY, required=False)
    outstanding_by = forms.ChoiceField(label=_("Balance"), choices=OUTSTANDING_BY, required=False)
    basis = forms.ChoiceField(label=_("Rates"), choices=BASIS, required=False)

    def __init__(self, data=None, *, choices: dict[str, list[str]]):
        super().__init__(data)
        everything = [("", _("all"))]
        self.fields["product"].choices = everything + [(c, c) for c in choices["products"]]
        self.fields["partner"].choices = everything + [(c, c) for c in choices["partners"]]
        self.fields["channel"].choices = everything + [(c, c) for c in choices["channels"]]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end of the range comes before its start."))
        return cleaned

    def slice_for(self, as_of: date) -> Slice:
        """The periods and cells to show of the computation of ``as_of`` (defaults where a filter is unset)."""
        values = self.cleaned_data if self.is_bound and self.is_valid() else {}
        date_to = values.get("date_to") or as_of
        date_from = values.get("date_from") or add_months(month_start(date_to), 1 - DEFAULT_MONTHS)
        return Slice(
            as_of=as_of,
            date_from=date_from,
            date_to=date_to,
            product=values.get("product") or "",
            partner=values.get("partner") or "",
            channel=values.get("channel") or "",
        )

    def options(self) -> Options:
        values = self.cleaned_data if self.is_bound and self.is_valid() else {}
        defaults = Options()
        return Options(
            approval_by=values.get("approval_by") or defaults.approval_by,
            outstanding_by=values.get("outstanding_by") or defaults.outstanding_by,
            basis=values.get("basis") or defaults.basis,
        )
