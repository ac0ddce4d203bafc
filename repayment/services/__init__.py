"""Servicing's write side (one module per flow). Durable entry points are called from views, admin, tasks,
commands and settlement handlers; `loan_open` joins the caller's transaction (lending's handler)."""

from .cob import (
    auto_debits_dispatch,
    cob_date_begin,
    cob_date_finish,
    cob_dates_pending,
    cob_run,
    cob_step_run,
    cob_summary,
    loan_catch_up,
)
from .loans import Funding, loan_open
from .refunds import overpayment_refund_request, overpayment_refund_settled
from .repayments import overpayment_apply, repayment_collection_settled, repayment_request
from .rollover import loan_rollover
from .settlement import partner_settlement_create, partner_statement_csv

__all__ = [
    "Funding",
    "auto_debits_dispatch",
    "cob_date_begin",
    "cob_date_finish",
    "cob_dates_pending",
    "cob_run",
    "cob_step_run",
    "cob_summary",
    "loan_catch_up",
    "loan_open",
    "loan_rollover",
    "overpayment_apply",
    "overpayment_refund_request",
    "overpayment_refund_settled",
    "partner_settlement_create",
    "partner_statement_csv",
    "repayment_collection_settled",
    "repayment_request",
]
