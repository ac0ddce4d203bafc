from decimal import Decimal

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class TrainingForm(forms.Form):
    data = forms.FileField(
        label=_("Training data (CSV with a header row)"), validators=[FileExtensionValidator(["csv"])]
    )
    target = forms.CharField(label=_("Target column (1 = bad, 0 = good)"), initial="bad", max_length=128)
    product_code = forms.CharField(
        label=_("Product code"), required=False, max_length=32, help_text=_("Empty: the card for every product.")
    )
    exclude = forms.CharField(
        label=_("Columns to leave out"),
        required=False,
        help_text=_("Comma-separated: row ids, and protected characteristics such as sex or nationality."),
    )
    categorical = forms.CharField(
        label=_("Numeric-looking columns that are categories"), required=False, help_text=_("Comma-separated.")
    )
    pdo = forms.FloatField(label=_("Points to double the odds (PDO)"), initial=20, min_value=1)
    base_score = forms.FloatField(label=_("Base score"), initial=600)
    base_odds = forms.FloatField(label=_("Good:bad odds at the base score"), initial=50, min_value=0.01)
    seed = forms.IntegerField(label=_("Random seed"), initial=42, min_value=0)
    test_size = forms.FloatField(label=_("Share held out for testing"), initial=0.3, min_value=0.1, max_value=0.5)

    def clean_data(self):
        upload = self.cleaned_data["data"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload

    def options(self) -> dict:
        data = self.cleaned_data
        return {
            "target": data["target"].strip(),
            "exclude": _names(data["exclude"]),
            "categorical": _names(data["categorical"]),
            "pdo": data["pdo"],
            "base_score": data["base_score"],
            "base_odds": data["base_odds"],
            "seed": data["seed"],
            "test_size": data["test_size"],
        }


class ChallengerForm(forms.Form):
    traffic_share = forms.DecimalField(
        label=_("Share of applicants"),
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("0.9999"),
        initial=Decimal("0.1000"),
    )


def _names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]
