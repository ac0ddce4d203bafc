"""Reconciling a day against the simulator's statement with injected 长款 / 短款 / amount / status faults."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation

from ledger.models import Journal
from ledger.selectors import account_balance, trial_balance
from payments import services
from payments.exceptions import CaseAlreadyResolved, InvalidCaseResolution, StatementChanged
from payments.models import PaymentCase, PaymentOrder, ReconciliationRun
from tests.payments.factories import new_collection, new_payout

DAY = date(2024, 3, 1)
FAULTS_FOUND = {"matched": 3, "long": 2, "short": 1, "amount_mismatch": 1, "status_mismatch": 1, "cases_opened": 5}

pytestmark = pytest.mark.django_db


@dataclass
class Day:
    simulator: object
    orders: dict[str, PaymentOrder]

    def serial(self, name: str) -> str:
        return self.orders[name].channel_serial


def send(name: str, amount: str, *, kind: str = "PAYOUT", account: str = "6222000011112222") -> PaymentOrder:
    create = new_payout if kind == "PAYOUT" else new_collection
    order = create(f"recon-{name}", amount, counterparty_account=account, reference=name)
    services.order_submit(order_id=order.pk)
    order.refresh_from_db()
    return order


@pytest.fixture
def day(start_simulator, settings, captured_tasks, settled_here) -> Day:
    """Six orders through the real simulator on 2024-03-01, then one injected fault per class."""
    simulator = start_simulator("--settlement-date", DAY.isoformat())
    settings.BANK_CHANNEL_URL = simulator.url
    settings.PAYMENTS_CALLBACK_BASE_URL = "http://127.0.0.1:9"  # nobody listens: the answers are enough here
    with time_machine.travel(datetime(2024, 3, 1, 8, 0, tzinfo=UTC), tick=True):
        orders = {
            "dropped": send("dropped", "100.00"),
            "amount": send("amount", "200.00"),
            "status": send("status", "300.00"),
            "failed": send("failed", "400.00", account="SIM:FAIL:1002"),
            "ok-1": send("ok-1", "500.00"),
            "ok-2": send("ok-2", "600.00"),
            "collected": send("collected", "70.00", kind="COLLECTION"),
        }
    assert orders["failed"].state == "FAILED"
    assert {o.state for name, o in orders.items() if name != "failed"} == {"SUCCEEDED"}
    found = Day(simulator=simulator, orders=orders)
    simulator.inject_statement_fault(on=DAY, fault="drop", serial=found.serial("dropped"))  # 短款
    simulator.inject_statement_fault(on=DAY, fault="amount", serial=found.serial("amount"), amount="250.00")
    simulator.inject_statement_fault(on=DAY, fault="status", serial=found.serial("status"), status="FAILED")
    simulator.inject_statement_fault(on=DAY, fault="status", serial=found.serial("failed"), status="SUCCESS")  # 长款
    simulator.inject_statement_fault(on=DAY, fault="extra", serial="NOT-OURS-1", amount="77.00")  # 长款
    return found


def reconcile(**kwargs):
    return services.reconciliation_run(channel="BANK_SIM", statement_date=DAY, **kwargs)


def test_each_injected_fault_is_found_and_parked_in_suspense_with_a_case(day):
    report = reconcile()

    assert report.as_dict() == FAULTS_FOUND
    cases = {c.channel_serial: (c.kind, c.suspense_side, c.suspense_amount) for c in PaymentCase.objects.all()}
    assert cases == {
        day.serial("dropped"): ("SHORT", "SHORT", Decimal("100.00")),
        day.serial("amount"): ("AMOUNT_MISMATCH", "LONG", Decimal("50.00")),
        day.serial("status"): ("STATUS_MISMATCH", "SHORT", Decimal("300.00")),
        day.serial("failed"): ("LONG", "LONG", Decimal("400.00")),
        "NOT-OURS-1": ("LONG", "LONG", Decimal("77.00")),
    }
    assert account_balance(account="1901.BANK_SIM") == Decimal("400.00")
    assert account_balance(account="2902.BANK_SIM") == Decimal("527.00")
    assert all(case.suspense_journal_id for case in PaymentCase.objects.all())
    assert trial_balance().balanced


def test_the_days_collections_are_settled_and_the_channel_fees_charged(day):
    clearing_before = account_balance(account="1012.BANK_SIM")

    reconcile()

    run = ReconciliationRun.objects.get()
    assert (run.collections_settled, run.channel_fees) == (Decimal("70.00"), Decimal("2.30"))
    assert account_balance(account="6421") == Decimal("2.30")
    kinds = set(Journal.objects.filter(reference="reconciliation:BANK_SIM:2024-03-01").values_list("kind", flat=True))
    assert kinds == {"COLLECTIONS_SETTLED", "CHANNEL_FEES"}
    # clearing: -70.00 settled to the bank, +50 + 400 + 77 long, -100 - 300 short
    assert account_balance(account="1012.BANK_SIM") - clearing_before == Decimal("57.00")


def test_a_rerun_of_the_day_changes_nothing(day):
    first = reconcile()
    journals, cases = Journal.objects.count(), list(PaymentCase.objects.values().order_by("pk"))
    reconciled_on = dict(PaymentOrder.objects.values_list("pk", "reconciled_on"))

    second = reconcile()

    assert second.as_dict() == {**first.as_dict(), "cases_opened": 0}
    assert Journal.objects.count() == journals
    assert list(PaymentCase.objects.values().order_by("pk")) == cases
    assert dict(PaymentOrder.objects.values_list("pk", "reconciled_on")) == reconciled_on
    assert ReconciliationRun.objects.count() == 1


def test_another_statement_for_a_reconciled_day_is_refused(day):
    reconcile()
    day.simulator.inject_statement_fault(on=DAY, fault="extra", serial="NOT-OURS-2", amount="1.00")

    with pytest.raises(StatementChanged):
        reconcile()

    assert PaymentCase.objects.count() == 5


def test_the_command_prints_one_json_line(day, tmp_path):
    statement = tmp_path / "statement.csv"
    statement.write_text(day.simulator.statement(DAY))
    out = StringIO()

    call_command(
        "reconcile", "--channel", "BANK_SIM", "--date", "2024-03-01", "--statement", str(statement), stdout=out
    )

    assert json.loads(out.getvalue()) == FAULTS_FOUND


def test_a_broken_row_fails_the_command_naming_the_row_and_writes_nothing(day, tmp_path):
    day.simulator.inject_statement_fault(on=DAY, fault="raw", raw="BROKEN-1,12.345,SUCCESS,2024-03-01T10:00:00+00:00")
    statement = tmp_path / "statement.csv"
    statement.write_text(day.simulator.statement(DAY))
    journals = Journal.objects.count()

    with translation.override("en"), pytest.raises(CommandError, match=r"STATEMENT_ROW_INVALID: row 9: "):
        call_command("reconcile", "--channel", "BANK_SIM", "--date", "2024-03-01", "--statement", str(statement))

    assert not PaymentCase.objects.exists()
    assert not ReconciliationRun.objects.exists()
    assert Journal.objects.count() == journals


def test_resolving_a_case_clears_its_suspense_with_one_journal(day, admin_user):
    reconcile()
    short = PaymentCase.objects.get(kind="SHORT")

    services.case_resolve(case_id=short.pk, counter_account="1012.BANK_SIM", note="bank confirmed", actor=admin_user)

    short.refresh_from_db()
    assert (short.status, short.resolved_by, short.resolution_account) == ("RESOLVED", admin_user, "1012.BANK_SIM")
    assert Journal.objects.get(pk=short.resolution_journal_id).kind == "SUSPENSE_CLEARED"
    assert account_balance(account="1901.BANK_SIM") == Decimal("300.00")
    with pytest.raises(CaseAlreadyResolved):
        services.case_resolve(case_id=short.pk, counter_account="1012.BANK_SIM", note="again", actor=admin_user)


def test_a_case_is_cleared_only_against_an_account_that_makes_sense(day, admin_user):
    reconcile()
    long = PaymentCase.objects.get(channel_serial="NOT-OURS-1")

    with pytest.raises(InvalidCaseResolution):
        services.case_resolve(case_id=long.pk, counter_account="6011", note="income?", actor=admin_user)

    long.refresh_from_db()
    assert long.status == "OPEN"
