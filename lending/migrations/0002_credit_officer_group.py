"""The "Credit officer" group: works the review queue; sees PII only masked (no view_borrower_pii)."""

from django.db import migrations

GROUP = "Credit officer"
PERMISSIONS = {
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


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the group needs them now.
    for label in PERMISSIONS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _created = group_model.objects.get_or_create(name=GROUP)
    for label, codenames in PERMISSIONS.items():
        group.permissions.add(
            *permission_model.objects.filter(content_type__app_label=label, codename__in=codenames)
        )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0001_initial"),
        ("underwriting", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
