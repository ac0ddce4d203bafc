"""The only places risk_models takes locks. Registry changes for one product are serialised, then the
rows are re-read under the lock and re-checked before anything is written."""

from django.db import connection

from .models import ScorecardVersion

# First key of PostgreSQL's two-key advisory lock: the scorecard registry (second key: the product).
REGISTRY_LOCK_CLASS = 51_001


def scorecard_registry_lock(*, product_code: str) -> None:
    """Held until the transaction ends: two activations for one product run one after the other, so the
    second sees the first's ACTIVE card and retires it (no unique-constraint race between them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [REGISTRY_LOCK_CLASS, product_code])


def scorecard_for_update(*, version_id: int) -> ScorecardVersion:
    return ScorecardVersion.objects.select_for_update(of=("self",)).get(pk=version_id)


def product_scorecards_for_update(*, product_code: str, statuses: tuple[str, ...]) -> list[ScorecardVersion]:
    return list(
        ScorecardVersion.objects.select_for_update(of=("self",))
        .filter(product_code=product_code, status__in=statuses)
        .order_by("id")
    )
