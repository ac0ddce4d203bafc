"""Readable, translated words for the demo scorecard's characteristics (German credit columns).

The card stores the data set's raw values; a borrower reads these labels instead. A characteristic or
category with no entry here is shown as the card names it, so a newly trained card still works.
"""

from django.utils.translation import gettext_lazy as _

CHARACTERISTIC_LABELS = {
    "status_of_existing_checking_account": _("Current account balance"),
    "credit_history": _("Credit history"),
    "purpose": _("What the money is for"),
    "savings_account_and_bonds": _("Savings and bonds"),
    "present_employment_since": _("Time with your present employer"),
    "installment_rate_in_percentage_of_disposable_income": _("Installments as a share of disposable income (1–4)"),
    "other_debtors_or_guarantors": _("Co-applicant or guarantor"),
    "present_residence_since": _("Years at your present address (1–4)"),
    "property": _("Most valuable property"),
    "other_installment_plans": _("Other installment plans"),
    "housing": _("Housing"),
    "number_of_existing_credits_at_this_bank": _("Number of loans you have with us (1–4)"),
    "job": _("Job"),
    "number_of_people_being_liable_to_provide_maintenance_for": _("People you support (1–2)"),
    "telephone": _("Telephone registered in your name"),
}

CATEGORY_LABELS = {
    "... < 0 DM": _("Overdrawn"),
    "0 <= ... < 200 DM": _("Less than 2,000 yuan"),
    "... >= 200 DM / salary assignments for at least 1 year": _("2,000 yuan or more, or salary paid in for a year"),
    "no checking account": _("No current account"),
    "all credits at this bank paid back duly": _("All loans with us repaid on time"),
    "critical account/ other credits existing (not at this bank)": _("Problem account, or loans with other lenders"),
    "delay in paying off in the past": _("Paid late in the past"),
    "existing credits paid back duly till now": _("Existing loans repaid on time so far"),
    "no credits taken/ all credits paid back duly": _("No loans, or all loans repaid on time"),
    "business": _("Business"),
    "car (new)": _("New car"),
    "car (used)": _("Used car"),
    "domestic appliances": _("Household appliances"),
    "education": _("Education"),
    "furniture/equipment": _("Furniture and equipment"),
    "others": _("Other"),
    "radio/television": _("Electronics"),
    "repairs": _("Repairs"),
    "retraining": _("Retraining"),
    "... < 100 DM": _("Less than 1,000 yuan"),
    "100 <= ... < 500 DM": _("1,000 to 5,000 yuan"),
    "500 <= ... < 1000 DM": _("5,000 to 10,000 yuan"),
    "... >= 1000 DM": _("10,000 yuan or more"),
    "unknown/ no savings account": _("No savings account"),
    "unemployed": _("Not employed"),
    "... < 1 year": _("Less than a year"),
    "1 <= ... < 4 years": _("1 to 4 years"),
    "4 <= ... < 7 years": _("4 to 7 years"),
    "... >= 7 years": _("7 years or more"),
    "co-applicant": _("Co-applicant"),
    "guarantor": _("Guarantor"),
    "none": _("None"),
    "building society savings agreement/ life insurance": _("Savings plan or life insurance"),
    "car or other, not in attribute Savings account/bonds": _("Car or other property"),
    "real estate": _("Real estate"),
    "unknown / no property": _("No property"),
    "bank": _("With a bank"),
    "stores": _("With a shop"),
    "for free": _("Live rent-free"),
    "own": _("Own home"),
    "rent": _("Rent"),
    "management/ self-employed/ highly qualified employee/ officer": _("Manager, self-employed or highly qualified"),
    "skilled employee / official": _("Skilled employee or official"),
    "unemployed/ unskilled - non-resident": _("Unskilled, non-resident, or not working"),
    "unskilled - resident": _("Unskilled, resident"),
    "yes, registered under the customers name": _("Yes"),
    "yes": _("Yes"),
    "no": _("No"),
}


def characteristic_label(name: str) -> str:
    label = CHARACTERISTIC_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ")


def category_label(value: str) -> str:
    label = CATEGORY_LABELS.get(value)
    return str(label) if label is not None else value
