from decimal import Decimal

import pytest
from django.urls import reverse

from ledger.models import Account, Entry, Journal

from .conftest import transfer


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["account", "journal", "entry"])
def test_changelists_show_the_books(admin_client, model):
    transfer(debit="1012.BANK_SIM", credit="1002", amount="123.45", reference="po-42")

    response = admin_client.get(reverse(f"admin:ledger_{model}_changelist"))

    assert response.status_code == 200
    assert b"1012.BANK_SIM" in response.content or b"po-42" in response.content


@pytest.mark.django_db
def test_account_list_shows_the_derived_balance_of_a_hot_account(admin_client):
    transfer(debit="1012.BANK_SIM", credit="1002", amount="123.45")

    response = admin_client.get(reverse("admin:ledger_account_changelist"))

    assert "123.45" in response.content.decode()
    assert Account.objects.get(key="1012.BANK_SIM").balance == Decimal("0.00")  # the row holds the checkpoint


@pytest.mark.django_db
def test_journal_page_lists_its_entries_read_only(admin_client):
    journal = transfer(debit="1012.BANK_SIM", credit="1002", amount="9.99")

    response = admin_client.get(reverse("admin:ledger_journal_change", args=[journal.pk]))

    assert response.status_code == 200
    assert b"9.99" in response.content
    assert b'name="_save"' not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Account, Journal, Entry])
def test_nothing_can_be_added_changed_or_deleted_in_admin(admin_client, model):
    journal = transfer(debit="1012", credit="1002", amount="1.00")
    row = {Account: Account.objects.first(), Journal: journal, Entry: Entry.objects.first()}[model]
    name = model._meta.model_name

    added = admin_client.post(reverse(f"admin:ledger_{name}_add"), {})
    deleted = admin_client.post(reverse(f"admin:ledger_{name}_delete", args=[row.pk]), {"post": "yes"})

    assert added.status_code == 403
    assert deleted.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()
