"""The chart of accounts of DOMAIN.md §8. ledger.chart is the one definition: the posting function also
creates any chart account that is missing (a flushed test database, a code added to the chart later)."""

from django.db import migrations


def chart_create(apps, schema_editor):
    from ledger.chart import CHART

    Account = apps.get_model("ledger", "Account")
    for chart in CHART.values():
        Account.objects.get_or_create(
            key=chart.code,
            defaults={
                "code": chart.code,
                "sub": "",
                "name": chart.name,
                "normal_side": chart.normal_side.value,
                "may_go_negative": chart.may_go_negative,
                "is_hot": chart.is_hot,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_integrity")]

    operations = [migrations.RunPython(chart_create, migrations.RunPython.noop)]
