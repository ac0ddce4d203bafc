"""The only place origination locks rows. Order, when more than one is taken: borrower, then application.

The borrower row is the serialisation point for the balance cap (DOMAIN.md §4): every accept of that
borrower's offers queues on it, so two accepts in flight cannot both see the exposure without the other.
"""

from .models import Application, Borrower


def borrower_for_update(borrower_id: int) -> Borrower:
    return Borrower.objects.select_for_update(of=("self",)).get(pk=borrower_id)


def application_for_update(application_id: int) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("product").get(pk=application_id)
