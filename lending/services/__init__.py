"""Origination's writes, one module per flow. Durable entry points for views, admin, tasks and commands."""

from .acceptance import application_accept
from .applications import application_info_provide, application_submit, application_withdraw, offers_expire
from .borrowers import borrower_profile_update, borrower_register
from .disbursement import disbursement_settle
from .review import application_approve, application_assign, application_reject, application_request_info

__all__ = [
    "application_accept",
    "application_approve",
    "application_assign",
    "application_info_provide",
    "application_reject",
    "application_request_info",
    "application_submit",
    "application_withdraw",
    "borrower_profile_update",
    "borrower_register",
    "disbursement_settle",
    "offers_expire",
]
