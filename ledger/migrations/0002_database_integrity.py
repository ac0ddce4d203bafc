"""Integrity that holds whatever writes the rows: balanced journals at commit, append-only entries and
journals, cold balances that follow their entries, and one server-side function that posts journals in
a single round trip (ledger.services calls it)."""

from django.db import migrations

BALANCED_AT_COMMIT = """
CREATE FUNCTION ledger_entry_journal_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    debits numeric;
    credits numeric;
BEGIN
    SELECT coalesce(sum(e.debit), 0), coalesce(sum(e.credit), 0) INTO debits, credits
    FROM ledger_entry e WHERE e.journal_id = NEW.journal_id;
    IF debits <> credits THEN
        RAISE EXCEPTION 'ledger: journal % is unbalanced (debits %, credits %)', NEW.journal_id, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
-- Deferred to commit, so that a journal's entries may arrive in several statements (django-hordak's check_leg).
CREATE CONSTRAINT TRIGGER ledger_entry_journal_balanced
    AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_journal_balanced();
"""

APPEND_ONLY = """
CREATE FUNCTION ledger_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % is append-only, % refused; post a reversing journal instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_rewrite();
CREATE TRIGGER ledger_journal_append_only BEFORE UPDATE OR DELETE ON ledger_journal
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_rewrite();
"""

COLD_BALANCES = """
-- One UPDATE per inserting statement: each cold account gets the net change of its new entries (normal
-- side) and a new version; the check constraint ledger_account_overdraft then refuses a negative balance
-- on an account that may not go negative. Hot accounts are left alone: their balance is derived.
CREATE FUNCTION ledger_entry_apply_cold_balances() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_account AS a
    SET balance = a.balance + CASE WHEN a.normal_side = 'DEBIT' THEN n.debits - n.credits
                                   ELSE n.credits - n.debits END,
        version = a.version + 1
    FROM (SELECT p.account_id, sum(p.debit) AS debits, sum(p.credit) AS credits
          FROM posted AS p GROUP BY p.account_id) AS n
    WHERE a.id = n.account_id AND NOT a.is_hot;
    RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entry_apply_cold_balances AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS posted
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_apply_cold_balances();
"""

POST_JOURNALS = """
-- Post journals in one round trip. Journal n (1-based) is (j_kind[n], j_reference[n], …); line i belongs
-- to journal l_journal[i] and names account a_key[l_account[i]]; the a_* arrays describe each distinct
-- account, so that a missing one is created from the chart (ledger/chart.py) on first use.
-- Returns one row per journal: POSTED, or EXISTING for an idempotent replay (with the stored fingerprint,
-- which the caller compares) — or a single REFUSED row naming an account that may not go negative, and
-- then nothing at all is written, so that the caller's transaction stays usable.
CREATE FUNCTION ledger_post_journals(
    j_kind text[], j_reference text[], j_posted_on date[], j_idempotency_key text[], j_memo text[],
    j_fingerprint text[], j_reverses bigint[],
    l_journal int[], l_account int[], l_debit numeric[], l_credit numeric[],
    a_key text[], a_code text[], a_sub text[], a_name text[], a_normal_side text[],
    a_may_go_negative boolean[], a_is_hot boolean[]
) RETURNS TABLE (
    ordinal int, journal_id bigint, outcome text, fingerprint text, created_at timestamptz,
    account text, balance numeric, change numeric
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    journals int := cardinality(j_kind);
    account_id bigint[];
    account_guarded boolean[];
    account_debit_normal boolean[];
    cold_id bigint[];
    fresh boolean[];
    all_fresh boolean;
    account_balance numeric[];
    running numeric[];
    first_line int;
    k int;
    new_id bigint[];
    entries_written int;
    posted_id bigint[];
    existing record;
BEGIN
    FOR attempt IN 1..2 LOOP
        SELECT array_agg(r.id), array_agg(r.guarded), array_agg(r.debit_normal),
               array_agg(r.id ORDER BY r.id) FILTER (WHERE NOT r.is_hot)
        INTO account_id, account_guarded, account_debit_normal, cold_id
        FROM (
            SELECT x.id, NOT x.may_go_negative AND NOT x.is_hot AS guarded, x.normal_side = 'DEBIT' AS debit_normal,
                   x.is_hot
            FROM unnest(a_key) WITH ORDINALITY AS u(key, i)
            CROSS JOIN LATERAL (SELECT * FROM ledger_account AS y WHERE y.key = u.key) AS x
            ORDER BY u.i
        ) AS r;
        EXIT WHEN coalesce(cardinality(account_id), 0) = cardinality(a_key);
        INSERT INTO ledger_account (key, code, sub, name, normal_side, may_go_negative, is_hot,
                                    balance, version, checkpoint_xid, created_at)
        SELECT t.key, t.code, t.sub, t.name, t.side, t.neg, t.hot, 0, 0, 0, now()
        FROM unnest(a_key, a_code, a_sub, a_name, a_normal_side, a_may_go_negative, a_is_hot)
             AS t(key, code, sub, name, side, neg, hot)
        ORDER BY t.key
        ON CONFLICT (key) DO NOTHING;
    END LOOP;
    IF coalesce(cardinality(account_id), 0) <> cardinality(a_key) THEN
        RAISE EXCEPTION 'ledger: could not resolve the accounts %%', a_key USING ERRCODE = 'foreign_key_violation';
    END IF;

    -- Replays: a journal whose idempotency key is already posted is answered, not posted again. Looked up
    -- under the cold accounts' locks, so that a concurrent poster of the same key has finished by then.
    all_fresh := cardinality(array_remove(j_idempotency_key, NULL)) = 0;
    IF NOT all_fresh THEN
        IF cold_id IS NOT NULL THEN
            PERFORM 1 FROM unnest(cold_id) AS c(id)
            CROSS JOIN LATERAL (SELECT 1 FROM ledger_account AS x WHERE x.id = c.id FOR NO KEY UPDATE) AS y;
        END IF;
        SELECT array_agg(k.key IS NULL OR NOT EXISTS (
                   SELECT 1 FROM ledger_journal AS p WHERE p.idempotency_key = k.key) ORDER BY k.n)
        INTO fresh
        FROM unnest(j_idempotency_key) WITH ORDINALITY AS k(key, n);
        all_fresh := NOT (false = ANY (fresh));
    END IF;

    -- Cold accounts are locked in id order (every posting does the same, so postings cannot deadlock
    -- each other) and their balances read under the lock. Hot accounts are not locked at all.
    IF cold_id IS NOT NULL THEN
        WITH locked AS MATERIALIZED (
            SELECT y.id, y.balance FROM unnest(cold_id) AS c(id)
            CROSS JOIN LATERAL (
                SELECT x.id, x.balance FROM ledger_account AS x WHERE x.id = c.id FOR NO KEY UPDATE
            ) AS y
        )
        SELECT array_agg(l.balance ORDER BY u.k) INTO account_balance
        FROM unnest(account_id) WITH ORDINALITY AS u(id, k) LEFT JOIN locked AS l ON l.id = u.id;

        -- Overdraft: the running balance, journal after journal (lines come grouped by journal), of each
        -- account that may not go negative. Plain array arithmetic: no query per line.
        IF true = ANY (account_guarded) THEN
            running := account_balance;
            first_line := 1;
            FOR i IN 1..cardinality(l_journal) LOOP
                k := l_account[i];
                IF account_guarded[k] AND (all_fresh OR fresh[l_journal[i]]) THEN
                    running[k] := running[k] + CASE WHEN account_debit_normal[k] THEN l_debit[i] - l_credit[i]
                                                    ELSE l_credit[i] - l_debit[i] END;
                END IF;
                IF i = cardinality(l_journal) OR l_journal[i + 1] <> l_journal[i] THEN
                    FOR j IN first_line..i LOOP
                        k := l_account[j];
                        IF account_guarded[k] AND running[k] < 0 THEN
                            ordinal := l_journal[i]; outcome := 'REFUSED'; account := a_key[k];
                            balance := account_balance[k]; change := running[k] - account_balance[k];
                            RETURN NEXT;
                            RETURN;
                        END IF;
                    END LOOP;
                    first_line := i + 1;
                END IF;
            END LOOP;
        END IF;
    END IF;

    -- Journals and their entries in one statement; ids are drawn first so that entries can point at them.
    WITH drawn AS MATERIALIZED (
        SELECT s.n, nextval('%(journal_sequence)s'::regclass) AS id
        FROM generate_subscripts(j_kind, 1) AS s(n)
        WHERE all_fresh OR fresh[s.n]
        ORDER BY s.n
    ), inserted AS (
        INSERT INTO ledger_journal (id, kind, reference, posted_on, idempotency_key, fingerprint, memo,
                                    reverses_id, created_at)
        SELECT d.id, j_kind[d.n], j_reference[d.n], j_posted_on[d.n], j_idempotency_key[d.n],
               j_fingerprint[d.n], j_memo[d.n], j_reverses[d.n], now()
        FROM drawn AS d
        ORDER BY d.n
        -- a concurrent poster of the same key that touched no cold account: its journal stands
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    ), written AS (
        INSERT INTO ledger_entry (journal_id, account_id, debit, credit)
        SELECT d.id, account_id[l_account[u.i]], l_debit[u.i], l_credit[u.i]
        FROM unnest(l_journal) WITH ORDINALITY AS u(n, i)
        JOIN drawn AS d ON d.n = u.n
        WHERE d.id IN (SELECT inserted.id FROM inserted)
        ORDER BY u.i
        RETURNING 1
    )
    SELECT (SELECT array_agg(d.id ORDER BY s.n) FROM generate_subscripts(j_kind, 1) AS s(n)
                                               LEFT JOIN drawn AS d ON d.n = s.n),
           (SELECT count(*) FROM written)
    INTO new_id, entries_written;

    IF all_fresh AND entries_written = cardinality(l_journal) THEN
        created_at := now(); outcome := 'POSTED';
        FOR n IN 1..journals LOOP
            ordinal := n; journal_id := new_id[n]; fingerprint := j_fingerprint[n];
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;

    -- Some journals were replays: answer each with the journal that stands under its key.
    posted_id := ARRAY(SELECT x.id FROM ledger_journal AS x WHERE x.id = ANY (new_id));
    FOR n IN 1..journals LOOP
        ordinal := n;
        journal_id := new_id[n];
        IF journal_id IS NOT NULL AND journal_id = ANY (posted_id) THEN
            outcome := 'POSTED'; fingerprint := j_fingerprint[n]; created_at := now();
        ELSE
            SELECT x.id, x.fingerprint, x.created_at INTO existing
            FROM ledger_journal AS x WHERE x.idempotency_key = j_idempotency_key[n];
            outcome := 'EXISTING'; journal_id := existing.id; fingerprint := existing.fingerprint;
            created_at := existing.created_at;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
"""

DROP = """
DROP FUNCTION ledger_post_journals(text[], text[], date[], text[], text[], text[], bigint[], int[], int[],
    numeric[], numeric[], text[], text[], text[], text[], text[], boolean[], boolean[]);
DROP TRIGGER ledger_entry_apply_cold_balances ON ledger_entry;
DROP FUNCTION ledger_entry_apply_cold_balances();
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP TRIGGER ledger_journal_append_only ON ledger_journal;
DROP FUNCTION ledger_refuse_rewrite();
DROP TRIGGER ledger_entry_journal_balanced ON ledger_entry;
DROP FUNCTION ledger_entry_journal_balanced();
"""


def post_journals_create(apps, schema_editor):
    # The journal id sequence is named in the function text, so that no posting pays for looking it up.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('ledger_journal', 'id')")
        journal_sequence = cursor.fetchone()[0]
        # (the text is a %-template: a literal % in the SQL is written %%)
        cursor.execute(POST_JOURNALS % {"journal_sequence": journal_sequence})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunSQL(BALANCED_AT_COMMIT + APPEND_ONLY + COLD_BALANCES, DROP),
        migrations.RunPython(post_journals_create, migrations.RunPython.noop),
    ]
