"""Borrower forms. They only shape input; the services validate it and their field errors land here."""

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidFields
from .models import Employment, IncomeEvidence, Purpose
from .scoring import CATEGORICAL, borrower_questions

CHARACTERISTIC_PREFIX = "characteristic__"


class ServiceErrorsMixin:
    """Put a service's `InvalidFields` next to the fields they name (``characteristics.x`` → its question)."""

    def add_service_errors(self, error: InvalidFields) -> None:
        for name, messages in error.details.items():
            field = (
                name.replace("characteristics.", CHARACTERISTIC_PREFIX) if name.startswith("characteristics.") else name
            )
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)


class SignUpForm(ServiceErrorsMixin, forms.Form):
    # The user model's own rule (letters, digits and @.+-_): no markup, spaces or invisible characters in a log-in.
    username = forms.CharField(label=_("User name"), max_length=150, validators=[UnicodeUsernameValidator()])
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=True))
    full_name = forms.CharField(label=_("Full name (as on your ID card)"), max_length=100)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=18, min_length=18)
    mobile = forms.CharField(label=_("Mobile number"), max_length=11)
    bank_card = forms.CharField(label=_("Bank card number (the loan is paid here)"), max_length=23)
    employment = forms.ChoiceField(label=_("Employment"), choices=Employment.choices)
    employer_name = forms.CharField(label=_("Employer"), max_length=100, required=False)
    average_annual_income = forms.DecimalField(
        label=_("Average annual income over the last 3 years (yuan)"), min_value=0, max_digits=18, decimal_places=2
    )
    income_evidence = forms.ChoiceField(label=_("How can you show this income?"), choices=IncomeEvidence.choices)
    monthly_debt_payments = forms.DecimalField(
        label=_("Monthly repayments to other lenders (yuan)"),
        min_value=0,
        max_digits=18,
        decimal_places=2,
        initial=0,
    )
    is_student = forms.BooleanField(label=_("I am a student"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for question in borrower_questions():
            name = CHARACTERISTIC_PREFIX + question.name
            if question.kind == CATEGORICAL:
                self.fields[name] = forms.ChoiceField(
                    label=question.label, choices=[("", "—"), *question.choices], required=True
                )
            else:
                self.fields[name] = forms.IntegerField(label=question.label, min_value=0, max_value=99, required=True)

    def characteristic_fields(self):
        return [self[name] for name in self.fields if name.startswith(CHARACTERISTIC_PREFIX)]

    def kyc_fields(self):
        return [self[name] for name in self.fields if not name.startswith(CHARACTERISTIC_PREFIX)]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        characteristics = {
            name.removeprefix(CHARACTERISTIC_PREFIX): str(value) if not isinstance(value, str) else value
            for name, value in data.items()
            if name.startswith(CHARACTERISTIC_PREFIX)
        }
        profile = {name: value for name, value in data.items() if not name.startswith(CHARACTERISTIC_PREFIX)}
        for name in ("average_annual_income", "monthly_debt_payments"):
            profile[name] = str(profile[name] if profile[name] is not None else "0")
        return {**profile, "characteristics": characteristics}


class ApplyForm(ServiceErrorsMixin, forms.Form):
    product = forms.ChoiceField(label=_("Product"))
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, max_digits=18, decimal_places=2)
    term = forms.TypedChoiceField(label=_("Term (months)"), coerce=int)
    purpose = forms.ChoiceField(label=_("What is the loan for?"), choices=Purpose.choices, initial=Purpose.CONSUMPTION)
    annual_income = forms.DecimalField(
        label=_("Average annual income over the last 3 years (yuan)"), min_value=0, max_digits=18, decimal_places=2
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {p.code: p for p in products}
        self.fields["product"].choices = [(p.code, p.name) for p in products]
        chosen = self.products.get(self.data.get("product") or self.initial.get("product"))
        chosen = chosen or next(iter(self.products.values()), None)
        terms = sorted({t for p in products for t in p.terms}) if chosen is None else list(chosen.terms)
        self.fields["term"].choices = [(t, t) for t in terms]


class AcceptOfferForm(forms.Form):
    contract_terms = forms.BooleanField(label=_("I have read the loan contract above and agree to it."))
    repayment_authorisation = forms.BooleanField(
        label=_("I authorise automatic debits of each installment from my bank card.")
    )
    credit_report = forms.BooleanField(label=_("I authorise an enquiry of my credit report."))
    personal_information = forms.BooleanField(
        label=_("I agree to the processing of my personal information for this loan.")
    )


class InfoProvideForm(forms.Form):
    note = forms.CharField(label=_("Your answer to the credit officer"), widget=forms.Textarea(attrs={"rows": 4}))
