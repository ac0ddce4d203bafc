from datetime import date

from .models import BusinessDate


def business_date_current() -> date | None:
    """The date close-of-business last completed, or None before the first close."""
    return BusinessDate.objects.filter(pk=1).values_list("business_date", flat=True).first()
