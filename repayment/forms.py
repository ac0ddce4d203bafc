from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import InvalidAmount, money

from .models import Repayment


class RepayForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to pay"), choices=Repayment.Kind.choices, initial=Repayment.Kind.REGULAR)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    # A fresh key per rendered form: a double submit (or a reload of the POST) pays once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_amount(self):
        try:
            return money(self.cleaned_data["amount"])
        except InvalidAmount as exc:
            raise forms.ValidationError(_("Enter an amount in yuan with at most two decimals, above zero.")) from exc
