"""A leaner `ledger_post_journals`, same signature and answers as 0002's.

Measured per single journal (one connection, backend CPU; PostgreSQL 15, this 2-core machine): 0002's
function 0.59–0.77 ms against 0.28–0.35 ms for a bare one-statement insert of the same journal and
entries with every trigger; this one 0.39 ms. Where the difference went:
- re-planning. PL/pgSQL caches a plan per statement, but keeps building custom plans (which see the
  array sizes) for as long as they look cheaper than the generic plan — here, always: every statement
  was planned anew on every call. `plan_cache_mode = force_generic_plan` on the function saved ~0.15 ms
  of the ~0.2 ms. The plans are then those of the first call in each session, rebuilt whenever the
  tables' statistics change (autovacuum's ANALYZE) — the rule PostgreSQL's own foreign-key checks live
  by, hence ANALYZE after a bulk load;
- a statement to resolve the accounts and another to lock them (now one);
- a general insert that joined the rows it had just inserted back to the drawn ids to support replays
  (now only when a journal carries an idempotency key; journals without one cannot conflict). The array
  parameters are unnested side by side (`unnest(a, b, …)`), one function scan.

Unchanged: cold accounts locked in id order (FOR NO KEY UPDATE) and read under the lock before the
overdraft check, nothing written when a journal is refused, hot accounts never locked, replays answered
with the journal that stands under the key. The balance and append-only triggers of 0002 are untouched.
"""

import importlib

from django.db import migrations

POST_JOURNALS = """
CREATE OR REPLACE FUNCTION ledger_post_journals(
    j_kind text[], j_reference text[], j_posted_on date[], j_idempotency_key text[], j_memo text[],
    j_fingerprint text[], j_reverses bigint[],
    l_journal int[], l_account int[], l_debit numeric[], l_credit numeric[],
    a_key text[], a_code text[], a_sub text[], a_name text[], a_normal_side text[],
    a_may_go_negative boolean[], a_is_hot boolean[]
) RETURNS TABLE (
    ordinal int, journal_id bigint, outcome text, fingerprint text, created_at timestamptz,
    account text, balance numeric, change numeric
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
DECLARE
    journals int := cardinality(j_kind);
    accounts int := cardinality(a_key);
    account_id bigint[];
    account_guarded boolean[];
    account_debit_normal boolean[];
    account_balance numeric[];
    keyed boolean := cardinality(array_remove(j_idempotency_key, NULL)) > 0;
    fresh boolean[];
    running numeric[];
    first_line int;
    k int;
    new_id bigint[];
    posted_id bigint[];
    existing record;
BEGIN
    -- Resolve every account and, once all exist, lock the cold ones in id order (every posting does the
    -- same, so postings cannot deadlock each other) and read their balances under the lock: one statement.
    -- Hot accounts are not locked. A missing account is created from the chart and the lookup repeated.
    FOR attempt IN 1..2 LOOP
        WITH found AS MATERIALIZED (
            SELECT u.i, y.id, y.is_hot, NOT y.may_go_negative AND NOT y.is_hot AS guarded,
                   y.normal_side = 'DEBIT' AS debit_normal
            FROM unnest(a_key) WITH ORDINALITY AS u(key, i)
            JOIN ledger_account AS y ON y.key = u.key
        ), locked AS MATERIALIZED (
            SELECT x.id, x.balance
            FROM (SELECT f.id FROM found AS f
                  WHERE NOT f.is_hot AND (SELECT count(*) FROM found) = accounts
                  ORDER BY f.id) AS c
            CROSS JOIN LATERAL (
                SELECT x.id, x.balance FROM ledger_account AS x WHERE x.id = c.id FOR NO KEY UPDATE
            ) AS x
        )
        SELECT array_agg(f.id ORDER BY f.i), array_agg(f.guarded ORDER BY f.i),
               array_agg(f.debit_normal ORDER BY f.i), array_agg(l.balance ORDER BY f.i)
        INTO account_id, account_guarded, account_debit_normal, account_balance
        FROM found AS f LEFT JOIN locked AS l ON l.id = f.id;
        EXIT WHEN coalesce(cardinality(account_id), 0) = accounts;
        INSERT INTO ledger_account (key, code, sub, name, normal_side, may_go_negative, is_hot,
                                    balance, version, checkpoint_xid, created_at)
        SELECT t.key, t.code, t.sub, t.name, t.side, t.neg, t.hot, 0, 0, 0, now()
        FROM unnest(a_key, a_code, a_sub, a_name, a_normal_side, a_may_go_negative, a_is_hot)
             AS t(key, code, sub, name, side, neg, hot)
        ORDER BY t.key
        ON CONFLICT (key) DO NOTHING;
    END LOOP;
    IF coalesce(cardinality(account_id), 0) <> accounts THEN
        RAISE EXCEPTION 'ledger: could not resolve the accounts %%', a_key USING ERRCODE = 'foreign_key_violation';
    END IF;

    -- Replays: a journal whose idempotency key is already posted is answered, not posted again. Looked up
    -- under the cold accounts' locks, so that a concurrent poster of the same key has finished by then.
    IF keyed THEN
        SELECT array_agg(k.key IS NULL OR NOT EXISTS (
                   SELECT 1 FROM ledger_journal AS p WHERE p.idempotency_key = k.key) ORDER BY k.n)
        INTO fresh
        FROM unnest(j_idempotency_key) WITH ORDINALITY AS k(key, n);
    END IF;

    -- Overdraft: the running balance, journal after journal (lines come grouped by journal), of each
    -- account that may not go negative. Plain array arithmetic: no query per line.
    IF true = ANY (account_guarded) THEN
        running := account_balance;
        first_line := 1;
        FOR i IN 1..cardinality(l_journal) LOOP
            k := l_account[i];
            IF account_guarded[k] AND (NOT keyed OR fresh[l_journal[i]]) THEN
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

    IF NOT keyed THEN
        -- No idempotency key, so no conflict is possible: journals and entries in one plain statement.
        WITH drawn AS MATERIALIZED (
            SELECT j.n, nextval('%(journal_sequence)s'::regclass) AS id, j.kind, j.reference, j.posted_on,
                   j.fingerprint, j.memo, j.reverses
            FROM unnest(j_kind, j_reference, j_posted_on, j_fingerprint, j_memo, j_reverses)
                 WITH ORDINALITY AS j(kind, reference, posted_on, fingerprint, memo, reverses, n)
        ), journal_rows AS (
            INSERT INTO ledger_journal (id, kind, reference, posted_on, idempotency_key, fingerprint, memo,
                                        reverses_id, created_at)
            SELECT d.id, d.kind, d.reference, d.posted_on, NULL, d.fingerprint, d.memo, d.reverses, now()
            FROM drawn AS d
        ), entry_rows AS (
            INSERT INTO ledger_entry (journal_id, account_id, debit, credit)
            SELECT d.id, account_id[u.a], u.debit, u.credit
            FROM unnest(l_journal, l_account, l_debit, l_credit) WITH ORDINALITY AS u(j, a, debit, credit, i)
            JOIN drawn AS d ON d.n = u.j
            ORDER BY u.i
        )
        SELECT array_agg(d.id ORDER BY d.n) INTO new_id FROM drawn AS d;

        created_at := now(); outcome := 'POSTED';
        FOR n IN 1..journals LOOP
            ordinal := n; journal_id := new_id[n]; fingerprint := j_fingerprint[n];
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;

    -- Keyed journals: a concurrent poster of the same key that touched no cold account may still win the
    -- insert; its journal stands (ON CONFLICT DO NOTHING) and ours is answered as a replay below.
    WITH drawn AS MATERIALIZED (
        SELECT j.n, nextval('%(journal_sequence)s'::regclass) AS id, j.kind, j.reference, j.posted_on,
               j.idempotency_key, j.fingerprint, j.memo, j.reverses
        FROM unnest(j_kind, j_reference, j_posted_on, j_idempotency_key, j_fingerprint, j_memo, j_reverses, fresh)
             WITH ORDINALITY AS j(kind, reference, posted_on, idempotency_key, fingerprint, memo, reverses, fresh, n)
        WHERE j.fresh
    ), journal_rows AS (
        INSERT INTO ledger_journal (id, kind, reference, posted_on, idempotency_key, fingerprint, memo,
                                    reverses_id, created_at)
        SELECT d.id, d.kind, d.reference, d.posted_on, d.idempotency_key, d.fingerprint, d.memo, d.reverses, now()
        FROM drawn AS d
        ORDER BY d.n
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id
    ), entry_rows AS (
        INSERT INTO ledger_entry (journal_id, account_id, debit, credit)
        SELECT d.id, account_id[u.a], u.debit, u.credit
        FROM unnest(l_journal, l_account, l_debit, l_credit) WITH ORDINALITY AS u(j, a, debit, credit, i)
        JOIN drawn AS d ON d.n = u.j
        WHERE d.id IN (SELECT r.id FROM journal_rows AS r)
        ORDER BY u.i
    )
    SELECT (SELECT array_agg(d.id ORDER BY s.n) FROM generate_subscripts(j_kind, 1) AS s(n)
                                               LEFT JOIN drawn AS d ON d.n = s.n),
           (SELECT array_agg(r.id) FROM journal_rows AS r)
    INTO new_id, posted_id;

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


def _function_create(schema_editor, template: str) -> None:
    # The journal id sequence is named in the function text, so that no posting pays for looking it up.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('ledger_journal', 'id')")
        journal_sequence = cursor.fetchone()[0]
        # (the text is a %-template: a literal % in the SQL is written %%)
        cursor.execute(template % {"journal_sequence": journal_sequence})


def lean_function_create(apps, schema_editor):
    _function_create(schema_editor, POST_JOURNALS)


def first_function_restore(apps, schema_editor):
    first = importlib.import_module("ledger.migrations.0002_database_integrity")
    _function_create(schema_editor, first.POST_JOURNALS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_chart_of_accounts")]

    operations = [migrations.RunPython(lean_function_create, first_function_restore)]
