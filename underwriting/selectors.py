from .models import BlacklistEntry, DecisionRecord


def is_blacklisted(*, id_number: str) -> bool:
    return BlacklistEntry.objects.filter(id_number=id_number.strip().upper()).exists()


def decision_get(*, decision_id: int) -> DecisionRecord:
    return DecisionRecord.objects.get(pk=decision_id)
