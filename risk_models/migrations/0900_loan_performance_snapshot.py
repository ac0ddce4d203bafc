"""The daily loan-performance fact table (risk_models.performance), partitioned by month in PostgreSQL.

Django's state gets the model; the database gets a table declared PARTITION BY RANGE (snapshot_date) — the
monthly partitions are created on first write (`snapshot_partition_ensure`).
"""

import django.db.models.fields.composite
from django.db import migrations, models

CREATE_SQL = """
CREATE TABLE risk_models_loanperformancesnapshot (
    snapshot_date date NOT NULL,
    loan_id bigint NOT NULL,
    borrower_id bigint NOT NULL,
    product_code varchar(32) NOT NULL,
    partner_code varchar(16) NOT NULL,
    own_share numeric(7, 6) NOT NULL,
    partner_share numeric(7, 6) NOT NULL,
    grade varchar(8) NOT NULL,
    scorecard_version varchar(64) NOT NULL,
    disbursed_on date NOT NULL,
    disbursed_month date NOT NULL,
    months_on_book smallint NOT NULL CHECK (months_on_book >= 0),
    principal numeric(18, 2) NOT NULL,
    outstanding_principal numeric(18, 2) NOT NULL,
    own_outstanding_principal numeric(18, 2) NOT NULL,
    overdue_principal numeric(18, 2) NOT NULL,
    overdue_amount numeric(18, 2) NOT NULL,
    dpd integer NOT NULL CHECK (dpd >= 0),
    bucket varchar(3) NOT NULL,
    max_dpd integer NOT NULL CHECK (max_dpd >= 0),
    first_installment_status varchar(12) NOT NULL,
    first_installment_max_dpd integer NOT NULL CHECK (first_installment_max_dpd >= 0),
    status varchar(12) NOT NULL,
    is_month_end boolean NOT NULL,
    PRIMARY KEY (snapshot_date, loan_id)
) PARTITION BY RANGE (snapshot_date);
CREATE INDEX risk_perf_month_end ON risk_models_loanperformancesnapshot (is_month_end, snapshot_date);
"""


class Migration(migrations.Migration):
    dependencies = [("risk_models", "0002_risk_analyst_group")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(CREATE_SQL, reverse_sql="DROP TABLE IF EXISTS risk_models_loanperformancesnapshot")
            ],
            state_operations=[
                migrations.CreateModel(
                    name="LoanPerformanceSnapshot",
                    fields=[
                        ("pk", django.db.models.fields.composite.CompositePrimaryKey("snapshot_date", "loan_id", blank=True, editable=False, primary_key=True, serialize=False)),
                        ("snapshot_date", models.DateField(verbose_name="date")),
                        ("loan_id", models.BigIntegerField(verbose_name="loan")),
                        ("borrower_id", models.BigIntegerField(verbose_name="borrower")),
                        ("product_code", models.CharField(max_length=32, verbose_name="product")),
                        ("partner_code", models.CharField(blank=True, max_length=16, verbose_name="lead partner")),
                        ("own_share", models.DecimalField(decimal_places=6, max_digits=7, verbose_name="our share")),
                        ("partner_share", models.DecimalField(decimal_places=6, max_digits=7, verbose_name="partners' share")),
                        ("grade", models.CharField(blank=True, max_length=8, verbose_name="grade")),
                        ("scorecard_version", models.CharField(blank=True, max_length=64, verbose_name="scorecard version")),
                        ("disbursed_on", models.DateField(verbose_name="disbursed on")),
                        ("disbursed_month", models.DateField(verbose_name="disbursement month")),
                        ("months_on_book", models.PositiveSmallIntegerField(verbose_name="months on book")),
                        ("principal", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="principal")),
                        ("outstanding_principal", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="outstanding principal")),
                        ("own_outstanding_principal", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="our outstanding principal")),
                        ("overdue_principal", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="overdue principal")),
                        ("overdue_amount", models.DecimalField(decimal_places=2, max_digits=18, verbose_name="overdue amount")),
                        ("dpd", models.PositiveIntegerField(verbose_name="DPD")),
                        ("bucket", models.CharField(max_length=3, verbose_name="bucket")),
                        ("max_dpd", models.PositiveIntegerField(verbose_name="highest DPD ever")),
                        ("first_installment_status", models.CharField(choices=[("NOT_DUE", "Not yet due"), ("DUE", "Due today"), ("PAID_ON_TIME", "Paid on time"), ("PAID_LATE", "Paid late"), ("OVERDUE", "Overdue")], max_length=12, verbose_name="first installment")),
                        ("first_installment_max_dpd", models.PositiveIntegerField(verbose_name="first installment's highest DPD")),
                        ("status", models.CharField(max_length=12, verbose_name="status")),
                        ("is_month_end", models.BooleanField(verbose_name="month end")),
                    ],
                    options={
                        "verbose_name": "loan performance snapshot",
                        "verbose_name_plural": "loan performance snapshots",
                        "db_table": "risk_models_loanperformancesnapshot",
                        "indexes": [models.Index(fields=["is_month_end", "snapshot_date"], name="risk_perf_month_end")],
                    },
                ),
            ],
        ),
    ]
