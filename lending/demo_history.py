"""Eighteen months of demo history, driven through the real services, so that `make run` shows living dashboards.

`demo_history_build(loans=N, seed=S)` replays the months day by day with the process clock moved to each
business day (time-machine: the services stamp what they do with "now", and a payout's settlement time is
the loan's disbursement date). Every loan and every payment takes the production path:

- borrowers apply (`application_submit` → underwriting → the active scorecard), a credit officer works the
  referrals (`application_approve` / `application_reject`), borrowers accept offers (`application_accept`);
- money moves through the payment core to the bank-channel simulator — a real HTTP server started here on a
  free port — and comes back through settlement handlers (`loan_open`, repayment allocation) exactly as the
  Celery worker runs them (tasks are executed eagerly in this process);
- close-of-business runs for every business date (`cob_run`): accrual, due, auto-debit, penalty, ageing,
  provision, write-off, the daily performance snapshot;
- borrowers pay through `repayment_request` (regular, cure, full prepayment); auto-debits that find no money
  fail at the bank with "insufficient funds".

Behaviour is drawn from the PD the scorecard gave each application, so bad rates rise with PD: on time,
late and cured, defaulted (written off past 180 days), prepaid. The only rows written without a service are
the demo borrowers themselves (sign-up hashes a password per user, which alone would take minutes).
"""

import logging
import math
import random
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from payments.simulator.faults import FAIL_ACCOUNT_PREFIX, FaultProfile
from payments.simulator.server import BankHTTPServer, BankSimulator
from repayment import selectors as repayment_selectors
from repayment.models import Installment, Loan
from repayment.services import (
    auto_debits_dispatch,
    cob_date_begin,
    cob_date_finish,
    cob_step_run,
    repayment_request,
)
from repayment.services.cob_steps import STEP_NAMES
from risk_models import services as risk_services
from risk_models.services.demo import DEMO_DATA, PROTECTED_CHARACTERISTICS

from .identity import id_number_check_code
from .models import Application, Borrower, Contract, FundingPartner, Product, ProductFunding
from .scoring import DERIVED_FROM_APPLICATION
from .services import application_accept, application_approve, application_reject, application_submit
from .services.acceptance import REQUIRED_CONSENTS

logger = logging.getLogger(__name__)

HISTORY_MONTHS = 18
ONE_DAY = timedelta(days=1)
OPEN = (Installment.Status.PENDING, Installment.Status.DUE)
# (product, share of applications, terms and their weights, amount as a multiple of monthly income)
PRODUCT_MIX = (
    ("QUICK_CASH", 0.48, (3, 6, 12), (0.45, 0.35, 0.2), (0.3, 1.6)),
    ("SALARY_BRIDGE", 0.4, (1, 2, 3), (0.5, 0.3, 0.2), (0.15, 0.45)),
    ("PARTNER_FLEX", 0.12, (12, 24, 36), (0.7, 0.2, 0.1), (1.2, 3.5)),
)
CHANNELS = (("WEB", 0.62), ("API", 0.38))
# How PD turns into behaviour: P(default) = DEFAULT_PER_PD × PD, P(late, then cured) = LATE_PER_PD × PD.
DEFAULT_PER_PD = Decimal("0.25")
LATE_PER_PD = Decimal("0.7")
PREPAY_SHARE = 0.12
SELF_PAY_SHARE = 0.5  # the others leave it to the auto-debit (代扣) on the due date
OFFER_DECLINED_SHARE = 0.05
OFFICER_APPROVES_SHARE = 0.7
WRONG_CARD_SHARE = 0.015  # borrowers whose card the bank refuses: their payout fails (1002)
INSUFFICIENT_FUNDS, INVALID_ACCOUNT = "1001", "1002"
BORROWERS_PER_LOAN = 1.2
SPARE_BORROWERS = 40  # a small demo still has applicants to spare for the declined
# Applicants are drawn from the card's training rows, a bad row half as often as a good one: the demo's
# applicants are a little better than that sample of 1970s German borrowers.
BAD_ROW_WEIGHT = 0.3
# A decline for who the applicant is (not for what they asked) is final: they do not apply again.
FINAL_DECLINES = {"POL_AGE", "POL_STUDENT", "POL_NO_INCOME", "POL_BLACKLIST", "REG_INELIGIBLE_BORROWER"}
QUEUE_LEFT_DAYS = 2
# Borrowers act at once, as they do: applications, payments and the night's debits run on this many threads.
WORKERS = 4


@dataclass
class Plan:
    """How one loan's borrower behaves (drawn once, from the application's PD)."""

    kind: str  # ON_TIME | LATE | DEFAULT | PREPAY
    installment: int = 0  # the installment the trouble (or the prepayment) comes at
    days_late: int = 0
    self_pay: bool = True


@dataclass
class Book:
    """What the simulation remembers between days (everything else is read from the services' tables)."""

    plans: dict[int, Plan] = field(default_factory=dict)  # loan id → plan
    borrower_of: dict[int, int] = field(default_factory=dict)  # loan id → borrower id
    card_of: dict[int, str] = field(default_factory=dict)  # borrower id → bank card
    income_of: dict[int, Decimal] = field(default_factory=dict)  # borrower id → average annual income
    broke: dict[str, tuple[date, date | None]] = field(default_factory=dict)  # card → (from, until) exclusive
    wrong_cards: set[str] = field(default_factory=set)
    busy: set[int] = field(default_factory=set)  # borrowers with a loan in force (or written off)
    rejected_on: dict[int, date] = field(default_factory=dict)
    cures: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    prepayments: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    def refusal(self, *, account: str, kind: str, on: date) -> str | None:
        """The bank's answer for this account today: None (the money is there) or a failure code."""
        if account in self.wrong_cards:
            return INVALID_ACCOUNT
        if kind == "COLLECTION" and account in self.broke:
            start, until = self.broke[account]
            if start <= on and (until is None or on < until):
                return INSUFFICIENT_FUNDS
        return None


class DemoBank(BankSimulator):
    """The bank-channel simulator whose customers have balances: a debit from an empty account fails with
    1001 (insufficient funds), a payout to a card it does not know with 1002 — through the simulator's own
    failing-account path, so the bank's books record the refusal like any other.

    It sends no callbacks: every answer it gives is final at once, and the web tier that would receive them
    is not running while the demo is seeded."""

    def __init__(self, *, book: Book, **kwargs) -> None:
        super().__init__(**kwargs)
        self.book = book

    def receive(self, *, kind: str, body: dict):
        refusal = self.book.refusal(account=str(body.get("account", "")), kind=kind, on=timezone.localdate())
        if refusal is not None:
            body = {**body, "account": f"{FAIL_ACCOUNT_PREFIX}{refusal}"}
        return super().receive(kind=kind, body=body)

    def _schedule_callbacks(self, order, plan) -> None:
        return None


def demo_history_build(*, loans: int, seed: int, months: int = HISTORY_MONTHS, end: date | None = None) -> dict:
    """Build ``months`` of history ending ``end`` (default: yesterday) with ``loans`` disbursed loans.

    Needs what seed_demo creates first (products, partners, the officer, the active scorecard). Idempotent:
    when any loan exists already it builds nothing and reports what is there.
    """
    started = time.monotonic()
    existing = Contract.objects.filter(loan_id__isnull=False).count()
    if existing or repayment_selectors.business_date_current() is not None or loans <= 0:
        return {"loans": existing, "built": False}
    end = end or timezone.localdate() - ONE_DAY
    start = _months_before(end, months) + ONE_DAY
    rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not secrets
    book = Book()
    _funding_terms_push()
    borrowers = _borrowers_create(count=math.ceil(loans * BORROWERS_PER_LOAN) + SPARE_BORROWERS, rng=rng, book=book)
    days = _days(start, end)
    quotas = _quotas(loans, len(days))
    timings = defaultdict(float)
    with _bank(book=book, seed=seed), _eager_tasks(), _quiet_chatter(), _Borrowers(WORKERS) as crowd:
        officer = get_user_model().objects.get(username="officer")
        behind = 0  # loans a day could not pay out (its applicants declined) carry over to the next
        for day, quota in zip(days, quotas, strict=True):
            with time_machine.travel(_at(day, 9), tick=True):
                tick = time.monotonic()
                wanted = quota + behind
                # The last days' referrals wait in the review queue, for whoever opens the demo as an officer.
                reviewer = None if (end - day).days < QUEUE_LEFT_DAYS else officer
                behind = wanted - _originate(
                    day=day, quota=wanted, rng=rng, book=book, borrowers=borrowers, officer=reviewer, crowd=crowd
                )
                timings["originate"] += time.monotonic() - tick
                tick = time.monotonic()
                _borrowers_pay(day=day, rng=rng, book=book, crowd=crowd)
                timings["pay"] += time.monotonic() - tick
            with time_machine.travel(_at(day, 22), tick=True):
                tick = time.monotonic()
                _close(day=day, crowd=crowd)
                timings["close"] += time.monotonic() - tick
            if (day + ONE_DAY).day == 1 or day == end:
                logger.info(
                    "demo history: %s closed, %d loans paid out so far (%.0f s)",
                    day.isoformat(), sum(book.counts[k] for k in ("ON_TIME", "LATE", "DEFAULT", "PREPAY")),
                    time.monotonic() - started,
                )  # fmt: skip
        with time_machine.travel(_at(end, 23), tick=True):
            tick = time.monotonic()
            risk_services.scorecard_monitoring_compute(on=end)
            run = risk_services.indicators_compute(as_of=end)
            timings["indicators"] += time.monotonic() - tick
    disbursed = Contract.objects.filter(loan_id__isnull=False).count()
    return {
        "loans": disbursed,
        "built": True,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "borrowers": len(borrowers),
        "applications": Application.objects.count(),
        "behaviour": dict(sorted(book.counts.items())),
        "indicator_rows": run.rows,
        "seconds": round(time.monotonic() - started, 1),
        "phases": {name: round(seconds, 1) for name, seconds in timings.items()},
    }


# --- the calendar ------------------------------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = (date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1) - ONE_DAY).day
    return date(year, month + 1, min(day.day, last))


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _quotas(loans: int, days: int) -> list[int]:
    """Loans to disburse each day: a book growing threefold over the history. Each day takes the rounded
    cumulative target minus what the days before took, so even a small demo spreads over the whole history."""
    weights = [1 + 2 * i / max(days - 1, 1) for i in range(days)]
    total = sum(weights)
    quotas, cumulative, given = [], 0.0, 0
    for weight in weights:
        cumulative += loans * weight / total
        quotas.append(round(cumulative) - given)
        given += quotas[-1]
    return quotas


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))


# --- the machinery: the bank on a free port, tasks run in this process ----------------------------------


class _bank:
    """The demo bank served on 127.0.0.1:<free port> for the length of the build; the payment core points at it."""

    def __init__(self, *, book: Book, seed: int) -> None:
        self.book, self.seed = book, seed

    def __enter__(self):
        self.folder = tempfile.TemporaryDirectory(prefix="demo-bank-")
        simulator = DemoBank(
            book=self.book,
            data_dir=Path(self.folder.name),
            profile=FaultProfile(seed=self.seed),
            secret=settings.BANK_CALLBACK_SECRET or "demo-bank-callbacks-are-not-sent",
        )
        self.server = BankHTTPServer(("127.0.0.1", 0), simulator)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.settings = override_settings(BANK_CHANNEL_URL=f"http://{host}:{port}")
        self.settings.enable()
        return self

    def __exit__(self, *exc_info) -> None:
        self.settings.disable()
        self.server.shutdown()
        self.server.server_close()
        self.server.simulator.close()
        self.folder.cleanup()


class _quiet_chatter:
    """Tens of thousands of bank calls and tasks would each log a line at INFO: only warnings, while seeding."""

    NAMES = ("httpx", "celery.app.trace", "payments", "repayment", "lending.services", "ledger")

    def __enter__(self):
        self.levels = {name: logging.getLogger(name).level for name in self.NAMES}
        for name in self.NAMES:
            logging.getLogger(name).setLevel(logging.WARNING)
        return self

    def __exit__(self, *exc_info) -> None:
        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


class _eager_tasks:
    """Celery tasks run at once in this process, as the worker would run them (no worker runs yet)."""

    def __enter__(self):
        from config.celery import app

        self.app, self.before = app, app.conf.task_always_eager
        app.conf.task_always_eager = True
        return self

    def __exit__(self, *exc_info) -> None:
        self.app.conf.task_always_eager = self.before


def _relaxed_commits(**_kwargs) -> None:
    """Seeding commits tens of thousands of small transactions: none of them waits for the WAL to reach the
    disk (atomicity and every constraint stay as they are; a crash could lose only the last moments of a
    seed, which is run again from scratch)."""
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")


class _Borrowers:
    """A pool of threads, each with its own database connection, for work that many borrowers do at once."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __enter__(self):
        self.pool = ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="demo-borrower", initializer=_relaxed_commits
        )
        _relaxed_commits()
        return self

    def run(self, work, items) -> None:
        """``work(item)`` for every item, in parallel; the first error is raised here."""
        for future in [self.pool.submit(work, item) for item in items]:
            future.result()

    def __exit__(self, *exc_info) -> None:
        barrier = threading.Barrier(self.workers)

        def close() -> None:
            barrier.wait(timeout=30)  # one call per thread: each closes its own connection
            connection.close()

        self.run(lambda _item: close(), range(self.workers))
        self.pool.shutdown()


def _close(*, day: date, crowd: _Borrowers) -> None:
    """Close-of-business of the day (every step, every partition), then the auto-debits it asked for,
    dispatched by several dispatchers at once (each debit is claimed with SKIP LOCKED, so none twice)."""
    run = cob_date_begin(business_date=day)
    for step in STEP_NAMES:
        for partition in range(len(run.partitions)):
            cob_step_run(business_date=day, step=step, partition=partition)
    cob_date_finish(business_date=day)
    crowd.run(lambda _item: auto_debits_dispatch(batch=50), range(crowd.workers))


# --- borrowers ------------------------------------------------------------------------------------------------


def _funding_terms_push() -> None:
    """Tell risk_models the funders' limits and the products' funding shares (partner concentration)."""
    partners = [
        risk_services.FundingPartnerTerms(p.code, p.name, p.is_own, p.concentration_limit)
        for p in FundingPartner.objects.all()
    ]
    shares = defaultdict(dict)
    for funding in ProductFunding.objects.select_related("product", "partner"):
        shares[funding.product.code][funding.partner.code] = funding.share
    risk_services.funding_terms_record(partners=partners, product_shares=shares)


def _characteristic_rows(rng: random.Random, count: int) -> list[dict]:
    """Answers to the card's questions, drawn from the public credit data the card was trained on."""
    frame = pd.read_csv(DEMO_DATA)
    weights = [BAD_ROW_WEIGHT if bad else 1.0 for bad in frame["bad"]]
    dropped = {"bad", *PROTECTED_CHARACTERISTICS, *DERIVED_FROM_APPLICATION}
    records = frame[[c for c in frame.columns if c not in dropped]].to_dict("records")
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in rng.choices(records, weights, k=count)
    ]


def _card_number(rng: random.Random, used: set[str]) -> str:
    while True:
        body = "622202" + "".join(str(rng.randrange(10)) for _ in range(9))
        digits = [int(d) for d in reversed(body)]
        total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        number = body + str((10 - total % 10) % 10)
        if number not in used:
            used.add(number)
            return number


def _borrowers_create(*, count: int, rng: random.Random, book: Book) -> list[int]:
    """Demo borrowers with complete profiles; their log-ins cannot be used (no password)."""
    user_model = get_user_model()
    prefix = f"demo-{rng.randrange(16**6):06x}"
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [user_model(username=f"{prefix}-{i:05d}", password=unusable) for i in range(count)]
    )
    answers = _characteristic_rows(rng, count)
    cards: set[str] = set()
    rows = []
    for i, (user, characteristics) in enumerate(zip(users, answers, strict=True)):
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 38))
        first17 = f"{310100 + i // 1000:06d}{born:%Y%m%d}{i % 1000:03d}"
        employment = rng.choices(["EMPLOYED", "SELF_EMPLOYED", "RETIRED", "UNEMPLOYED"], [0.76, 0.18, 0.03, 0.03])[0]
        income = Decimal(round(math.exp(rng.gauss(11.6, 0.45)), -2)).quantize(Decimal("0.01"))
        rows.append(
            Borrower(
                user=user,
                full_name=f"演示客户{i + 1:05d}",
                id_number=first17 + id_number_check_code(first17),
                date_of_birth=born,
                mobile=f"13{rng.randrange(10**9):09d}",
                bank_card=_card_number(rng, cards),
                employment=employment,
                employer_name="" if employment == "UNEMPLOYED" else "演示企业",
                average_annual_income=income if employment != "UNEMPLOYED" else Decimal("0.00"),
                income_evidence=rng.choices(
                    ["PAYSLIP", "TAX_RECORD", "BANK_STATEMENT", "SELF_DECLARED"], [0.35, 0.3, 0.2, 0.15]
                )[0],
                is_student=rng.random() < 0.01,
                monthly_debt_payments=Decimal(rng.choice([0, 0, 0, 500, 1200, 3000])).quantize(Decimal("0.01")),
                characteristics=characteristics,
            )
        )
    created = bulk_create_with_history(rows, Borrower, batch_size=500)
    ids = [borrower.pk for borrower in created]
    if not ids or ids[0] is None:
        ids = list(Borrower.objects.filter(user__in=users).order_by("pk").values_list("pk", flat=True))
    for borrower_id, card, income in Borrower.objects.filter(pk__in=ids).values_list(
        "pk", "bank_card", "average_annual_income"
    ):
        book.card_of[borrower_id] = card
        book.income_of[borrower_id] = income
        if rng.random() < WRONG_CARD_SHARE:
            book.wrong_cards.add(card)
    return ids


# --- origination ----------------------------------------------------------------------------------------


def _originate(
    *, day: date, quota: int, rng: random.Random, book: Book, borrowers: list[int], officer, crowd: _Borrowers
) -> int:
    """Applications until ``quota`` loans were paid out today (or the day's applicants run out), several
    borrowers at a time; returns the loans paid out. Each applicant's draws come from a generator seeded
    from the shared one."""
    products = {p.code: p for p in Product.objects.filter(is_active=True)}
    state = {"paid_out": 0, "attempts": 0}

    def applicant_turn(_slot: int) -> None:
        while True:
            with book.lock:
                if state["paid_out"] >= quota or state["attempts"] >= quota * 8 + 2:
                    return
                state["attempts"] += 1
                borrower_id = _applicant(day=day, rng=rng, book=book, borrowers=borrowers)
                own_rng = random.Random(rng.random())  # noqa: S311 — reproducible demo data
            if borrower_id is None:
                return
            if _apply(day=day, borrower_id=borrower_id, rng=own_rng, book=book, products=products, officer=officer):
                with book.lock:
                    state["paid_out"] += 1

    crowd.run(applicant_turn, range(min(crowd.workers, quota)))
    return state["paid_out"]


def _apply(*, day: date, borrower_id: int, rng: random.Random, book: Book, products: dict, officer) -> bool:
    """One application from submission to payout; True when a loan was opened."""
    code, _share, terms, weights, multiples = rng.choices(PRODUCT_MIX, [m[1] for m in PRODUCT_MIX])[0]
    product = products.get(code)
    if product is None:
        return _free(book, borrower_id)
    application = application_submit(
        borrower_id=borrower_id,
        product_code=code,
        amount=_amount(product, income=book.income_of[borrower_id], multiples=multiples, rng=rng),
        term=rng.choices(terms, weights)[0],
        purpose=rng.choice(["CONSUMPTION", "CONSUMPTION", "HOME_IMPROVEMENT", "TRAVEL", "MEDICAL"]),
        channel=rng.choices([c for c, _w in CHANNELS], [w for _c, w in CHANNELS])[0],
    )
    book.count("applications")
    if application.status == Application.Status.IN_REVIEW and officer is None:
        return False  # left for a credit officer: the borrower waits (stays busy)
    if application.status == Application.Status.IN_REVIEW:
        application = _review(application, officer=officer, rng=rng)
    if application.outcome == Application.Outcome.REJECTED:
        codes = {reason["code"] for reason in (application.decision.reasons if application.decision else [])}
        if codes & FINAL_DECLINES:
            return False  # stays out for good
        with book.lock:
            book.rejected_on[borrower_id] = day
        return _free(book, borrower_id)
    if application.status != Application.Status.DECIDED or rng.random() < OFFER_DECLINED_SHARE:
        return _free(book, borrower_id)
    application = application_accept(
        application_id=application.pk, borrower_id=borrower_id, consents=dict.fromkeys(REQUIRED_CONSENTS, True)
    )
    application.refresh_from_db()
    if application.status != Application.Status.DISBURSED:
        book.count("payout_failed")
        return False  # the bank refuses their card: they stay out
    loan_id = Contract.objects.filter(application=application).values_list("loan_id", flat=True).get()
    risk_services.loan_originations_record(links=[(loan_id, application.reference)])
    _plan(loan_id=loan_id, borrower_id=borrower_id, application=application, rng=rng, book=book)
    return True


def _free(book: Book, borrower_id: int) -> bool:
    with book.lock:
        book.busy.discard(borrower_id)
    return False


def _applicant(*, day: date, rng: random.Random, book: Book, borrowers: list[int]) -> int | None:
    """A borrower with no loan in force or in the making, and no decline in the last week (the cool-down);
    taken (marked busy) at once, so that two threads never apply for the same borrower."""
    for _attempt in range(50):
        borrower_id = rng.choice(borrowers)
        declined = book.rejected_on.get(borrower_id)
        if borrower_id in book.busy or (declined is not None and (day - declined).days <= 7):
            continue
        book.busy.add(borrower_id)
        return borrower_id
    return None


def _amount(product: Product, *, income: Decimal, multiples: tuple[float, float], rng: random.Random) -> Decimal:
    """A request sized to the borrower's monthly income (drawn log-uniformly between the product's multiples),
    in hundreds, within the product's range."""
    low, high = (math.log(m) for m in multiples)
    multiple = Decimal(str(round(math.exp(rng.uniform(low, high)), 3)))
    amount = (max(income, Decimal("24000")) / 12 * multiple).quantize(Decimal("100"), ROUND_DOWN)
    return max(product.min_amount, min(product.max_amount, amount))


def _review(application: Application, *, officer, rng: random.Random) -> Application:
    """The credit officer's verdict on a referral, the same day."""
    if rng.random() < OFFICER_APPROVES_SHARE:
        return application_approve(
            application_id=application.pk,
            officer=officer,
            reason_code="ACCEPTABLE_RISK",
            note="演示：综合评估风险可接受 (demo)",
        )
    return application_reject(
        application_id=application.pk, officer=officer, reason_code="NOT_AFFORDABLE", note="演示：还款能力不足 (demo)"
    )


def behaviour_draw(*, pd: Decimal, term: int, rng: random.Random) -> Plan:
    """A borrower's behaviour for a loan scored at ``pd``: the riskier, the likelier late or in default.

    P(default) = DEFAULT_PER_PD × PD, P(late, then cured) = LATE_PER_PD × PD; of the rest, PREPAY_SHARE
    repay early and the others pay on time. A default starts early in the loan more often than late.
    """
    draw = Decimal(str(rng.random()))
    p_default, p_late = DEFAULT_PER_PD * pd, LATE_PER_PD * pd
    if draw < p_default:
        plan = Plan("DEFAULT", installment=min(term, 1 + int(rng.expovariate(0.7))))
    elif draw < p_default + p_late:
        # most late borrowers pay within days; some stay out past 30 (bad), a few past 60
        days_late = rng.choices([rng.randint(3, 10), rng.randint(11, 29), rng.randint(30, 70)], [0.6, 0.25, 0.15])[0]
        plan = Plan("LATE", installment=rng.randint(1, term), days_late=days_late)
    elif rng.random() < PREPAY_SHARE and term > 1:
        plan = Plan("PREPAY", installment=rng.randint(1, term - 1))
    else:
        plan = Plan("ON_TIME")
    plan.self_pay = rng.random() < SELF_PAY_SHARE
    return plan


def _plan(*, loan_id: int, borrower_id: int, application: Application, rng: random.Random, book: Book) -> None:
    """Draw the borrower's behaviour from the PD the scorecard gave the application."""
    pd_value = Decimal(str((application.decision.score or {}).get("pd") or "0.05"))
    plan = behaviour_draw(pd=pd_value, term=application.term, rng=rng)
    with book.lock:
        book.plans[loan_id] = plan
        book.borrower_of[loan_id] = borrower_id
        book.counts[plan.kind] += 1


# --- servicing: what borrowers pay each day ------------------------------------------------------------------


def _borrowers_pay(*, day: date, rng: random.Random, book: Book, crowd: _Borrowers) -> None:
    """Installments due today, cures and prepayments planned for today — each borrower on their own — then
    free the borrowers whose loan has ended."""
    work: list[tuple] = []
    due_today = Installment.objects.filter(
        due_date=day, status__in=OPEN, loan__status=Loan.Status.ACTIVE, loan_id__in=list(book.plans)
    ).values_list("loan_id", "number")
    for loan_id, number in due_today:
        plan = book.plans[loan_id]
        card = book.card_of[book.borrower_of[loan_id]]
        if plan.kind in ("LATE", "DEFAULT") and number == plan.installment:
            until = None if plan.kind == "DEFAULT" else day + timedelta(days=plan.days_late)
            book.broke[card] = (day, until)
            if until is not None:
                book.cures[until].append(loan_id)
            continue
        if (plan.kind == "DEFAULT" and number > plan.installment) or book.refusal(
            account=card, kind="COLLECTION", on=day
        ):
            continue  # no money: the auto-debit tonight will find the account empty
        if plan.kind == "PREPAY" and number == plan.installment:
            # pays this installment, then the whole loan a few days later
            book.prepayments[day + timedelta(days=rng.randint(3, 20))].append(loan_id)
        if plan.self_pay:
            work.append((_pay_owed, loan_id, f"due:{number}"))
    for loan_id in book.cures.pop(day, []):
        work.append((_pay_owed, loan_id, "cure"))
        book.counts["cured"] += 1
    for loan_id in book.prepayments.pop(day, []):
        work.append((_prepay, loan_id, "prepay"))
    crowd.run(lambda item: item[0](loan_id=item[1], on=day, key=item[2]), work)
    _release_finished(book)


def _owed(loan: Loan, *, on: date) -> Decimal:
    """What a payment valued ``on`` must bring to clear everything due by then, penalty settled to that day."""
    owed = Decimal("0.00")
    for row in loan.installments.filter(status__in=OPEN, due_date__lte=on):
        penalty = max(repayment_selectors.penalty_settled_to(loan=loan, installment=row, on=on), row.penalty_accrued)
        owed += row.principal_unpaid + row.interest_unpaid + penalty - row.penalty_paid
    return owed


def _pay_owed(*, loan_id: int, on: date, key: str) -> None:
    loan = Loan.objects.get(pk=loan_id)
    if loan.status != Loan.Status.ACTIVE:
        return
    owed = _owed(loan, on=repayment_selectors.business_day_open(loan=loan) or on)
    if owed > 0:
        repayment_request(
            loan_id=loan_id, amount=owed, kind="REGULAR", idempotency_key=f"demo:{loan_id}:{on.isoformat()}:{key}"
        )


def _prepay(*, loan_id: int, on: date, key: str) -> None:
    loan = Loan.objects.get(pk=loan_id)
    if loan.status != Loan.Status.ACTIVE:
        return
    value_date = repayment_selectors.business_day_open(loan=loan) or on
    quote = repayment_selectors.loan_payoff_quote(loan=loan, on=value_date)
    repayment_request(
        loan_id=loan_id, amount=quote.total, kind="PREPAYMENT_FULL", idempotency_key=f"demo:{loan_id}:{key}"
    )


def _release_finished(book: Book) -> None:
    """Borrowers whose loan was repaid may borrow again; a written-off borrower never does."""
    settled = Loan.objects.filter(
        pk__in=[loan_id for loan_id in book.plans if book.borrower_of[loan_id] in book.busy],
        status=Loan.Status.SETTLED,
    ).values_list("pk", flat=True)
    for loan_id in settled:
        book.busy.discard(book.borrower_of.pop(loan_id, None))
        book.plans.pop(loan_id, None)
