"""The staff roles origination defines. The data migration creates the group; `credit_officer_group_ensure`
puts it back (with its permissions) where data was flushed, e.g. `seed_demo` on a reset database."""

from django.contrib.auth.models import Group, Permission

CREDIT_OFFICER_GROUP = "Credit officer"
REVIEW_PERMISSION = "lending.review_application"
PII_PERMISSION = "lending.view_borrower_pii"
CREDIT_OFFICER_PERMISSIONS = {
    "lending": [
        "view_applicationinreview",
        "view_application",
        "review_application",
        "view_applicationevent",
        "view_borrower",
        "view_offer",
        "view_product",
        "view_fundingpartner",
    ],
    "underwriting": ["view_decisionrecord"],
}


def credit_officer_group_ensure() -> Group:
    group, _created = Group.objects.get_or_create(name=CREDIT_OFFICER_GROUP)
    for app_label, codenames in CREDIT_OFFICER_PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return group
