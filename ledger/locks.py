"""Row locks of the books, always taken in account-id order.

A posting locks its cold accounts inside the server-side function `ledger_post_journals` (migration
0004): in the statement that resolves the account keys, each cold account row is locked in id order
(`FOR NO KEY UPDATE`) and its balance read under the lock before the overdraft check — one round trip
instead of a lock, a read and an update. NO KEY UPDATE, because it must not block the foreign-key checks
(KEY SHARE) of postings to the same account.
Hot accounts are never locked by a posting; only the checkpoint below locks their rows.
"""

from .models import Account


def hot_accounts_for_checkpoint() -> list[int]:
    """Lock every hot account (id order) so that two checkpoints never fold the same entries twice."""
    return list(
        Account.objects.filter(is_hot=True).order_by("id").select_for_update(no_key=True).values_list("id", flat=True)
    )
