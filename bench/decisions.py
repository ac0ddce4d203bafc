"""The application API under gunicorn on PostgreSQL: latency at a fixed rate and throughput at saturation.

    .venv/bin/python bench/decisions.py --requests 2000 --concurrency 16

Sets up its own database (`lending_bench_origination`, dropped at the end): migrations, the demo products,
partners and active scorecard (`seed_demo --loans 0`), and --borrowers borrowers with API tokens. Starts
gunicorn on a free loopback port (--workers, default 3, of --threads, default 2: gthread workers, which
keep connections alive; --threads 1 runs sync workers), then:

1. paced: --rate requests per second for --paced-requests requests (open loop: each request has a
   scheduled start; its latency counts from that start, so a server falling behind shows as latency);
2. saturation: --requests requests by --concurrency closed-loop clients, as fast as the server answers.

Every request is a real `POST /api/v1/applications/` with its own Idempotency-Key, by a random borrower:
token auth, the idempotency store, facts, every hard rule, the scorecard, pricing (schedule + APR), the
regulator's checks, the decision record, the offer, the audit events and the risk fact. The load
generator runs on the same machine (2 cores): its CPU is taken from the server, so the figures are a
floor. The saturation phase also reports the CPU per request of the gunicorn workers, of PostgreSQL's
backends for the bench database and of the load generator, and the rate 2 idle cores would serve at
that web + database CPU (2000 / ms per request). Prints one JSON line.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "lending_bench_origination"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests in the saturation phase")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop clients at saturation")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second in the paced phase")
    parser.add_argument("--paced-requests", type=int, default=1000)
    parser.add_argument("--borrowers", type=int, default=500)
    # The Procfile's web process: two processes of four threads (gthread: connections kept alive, no TCP set-up
    # per request). On the quiet 2-core machine it gave the best latency at 100 req/s (p95 23-33 ms against
    # 60 ms for 3 x 2) and the most at saturation (176-189 req/s against 178).
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker: more than 1 runs gthread workers (keep-alive)"
    )
    parser.add_argument(
        "--admin-url", default=os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()

    database_url = args.admin_url.rsplit("/", 1)[0] + "/" + BENCH_DATABASE
    env = bench_environment(database_url)
    recreate_database(args.admin_url)
    try:
        tokens = prepare(env, borrowers=args.borrowers)
        port = free_port()
        server = start_gunicorn(env, port=port, workers=args.workers, threads=args.threads)
        try:
            warm_up(port, tokens)
            paced = run_paced(port, tokens, rate=args.rate, count=args.paced_requests)
            cpu_before = server_cpu_seconds(server.pid)
            db_cpu_before = postgres_cpu_seconds(BENCH_DATABASE)
            saturation = run_saturation(port, tokens, count=args.requests, concurrency=args.concurrency)
            # CPU per request of the web tier (gunicorn workers) and of PostgreSQL (the bench database's
            # backends): far less sensitive than latency to whatever else the machine runs at the time, and
            # what bounds the rate two otherwise idle cores can serve.
            web = (server_cpu_seconds(server.pid) - cpu_before) / args.requests * 1000
            db = (postgres_cpu_seconds(BENCH_DATABASE) - db_cpu_before) / args.requests * 1000
            saturation["web_cpu_ms_per_request"] = round(web, 2)
            saturation["db_cpu_ms_per_request"] = round(db, 2)
            client = saturation.pop("client_cpu_seconds") / args.requests * 1000
            saturation["client_cpu_ms_per_request"] = round(client, 2)
            saturation["implied_rps_on_2_idle_cores"] = round(2000 / (web + db)) if web + db else None
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        drop_database(args.admin_url)
    print(
        json.dumps(
            {
                "bench": "decisions",
                "load_average_1m": round(os.getloadavg()[0], 2),
                "gunicorn_workers": args.workers,
                "gunicorn_threads": args.threads,
                "paced": paced,
                "saturation": saturation,
                "target": {"paced_p95_ms_below": 50, "saturation_rps_at_least": 200},
            }
        )
    )
    return 0


def bench_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-secret-key-not-for-production",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
        }
    )
    return env


def _admin_connection(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url.replace("postgres://", "postgresql://", 1), autocommit=True)


def recreate_database(admin_url: str) -> None:
    with _admin_connection(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')


def drop_database(admin_url: str) -> None:
    with _admin_connection(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')


def prepare(env: dict[str, str], *, borrowers: int) -> list[str]:
    """Migrate, seed the demo data, create borrowers with tokens; runs Django in a child process."""
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    # Products, partners, the active card and the demo borrower; no loan history (it is not what is measured).
    subprocess.run(
        [python, "manage.py", "seed_demo", "--loans", "0"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    script = f"""
import django, json
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.authtoken.models import Token
from lending.models import Borrower
from tests.lending.factories import bank_card, id_number
from datetime import date
template = Borrower.objects.get(user__username="borrower")
tokens = []
for n in range({borrowers}):
    user = get_user_model().objects.create(username=f"bench{{n}}")
    born = date(1970 + n % 30, 1 + n % 12, 1 + n % 28)
    Borrower.objects.create(
        user=user, full_name=f"bench {{n}}", id_number=id_number(born, serial=n % 1000), date_of_birth=born,
        mobile="13800138000", bank_card=bank_card(), employment="EMPLOYED", average_annual_income="180000.00",
        income_evidence="PAYSLIP", characteristics=template.characteristics,
    )
    tokens.append(Token.objects.create(user=user).key)
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(json.dumps(tokens))
"""
    completed = subprocess.run([python, "-c", script], cwd=ROOT, env=env, check=False, capture_output=True, text=True)
    if completed.returncode:
        sys.stderr.write(completed.stderr)
        raise RuntimeError("preparing the borrowers failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of gunicorn's workers so far (from /proc; Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # the parent pid: a worker of this master
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def postgres_cpu_seconds(database: str) -> float:
    """User + system CPU so far of the PostgreSQL backends connected to `database` (from /proc; Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    marker = f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "cmdline").read_bytes() + b" ":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], *, port: int, workers: int, threads: int = 1) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [
            gunicorn,
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
            "--threads",
            str(threads),
            "--preload",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited") from None
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


BODY = {"product": "QUICK_CASH", "term": 12, "purpose": "CONSUMPTION"}


def _request(conn: http.client.HTTPConnection, token: str, key: str, amount: int) -> int:
    body = json.dumps({**BODY, "amount": f"{amount}.00"})
    conn.request(
        "POST",
        "/api/v1/applications/",
        body=body,
        headers={"Authorization": f"Token {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    return response.status


def warm_up(port: int, tokens: list[str]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
    for n in range(30):
        _request(conn, tokens[n % len(tokens)], f"warm-{n}", 2000)


def _summary(latencies: list[float], seconds: float, errors: int) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(seconds, 2),
        "rps": round(len(latencies) / seconds, 1) if seconds else None,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 1),
    }


def run_paced(port: int, tokens: list[str], *, rate: float, count: int) -> dict:
    """Open loop: request i is due at start + i / rate; latency counts from when it was due."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    next_index = [0]
    start = time.perf_counter() + 0.2
    rng = random.Random(7)
    plan = [(rng.choice(tokens), 1000 + rng.randrange(40) * 1000) for _ in range(count)]

    def sender():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= count:
                return
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            token, amount = plan[index]
            status = _request(conn, token, f"paced-{index}", amount)
            elapsed = time.perf_counter() - due
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    errors[0] += 1

    threads = [threading.Thread(target=sender) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"target_rps": rate, **_summary(latencies, time.perf_counter() - start, errors[0])}


def _saturation_worker(args) -> tuple[list[float], int, float]:
    port, tokens, indices, threads_per_process, seed = args
    cpu_before = time.process_time()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    queue = list(indices)
    rng = random.Random(seed)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
                token, amount = rng.choice(tokens), 1000 + rng.randrange(40) * 1000
            began = time.perf_counter()
            status = _request(conn, token, f"sat-{index}", amount)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                if status != 201:
                    errors[0] += 1

    workers = [threading.Thread(target=client) for _ in range(threads_per_process)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return latencies, errors[0], time.process_time() - cpu_before


def run_saturation(port: int, tokens: list[str], *, count: int, concurrency: int) -> dict:
    processes = 2 if concurrency >= 2 else 1
    per_process = [list(range(p, count, processes)) for p in range(processes)]
    jobs = [(port, tokens, indices, max(1, concurrency // processes), p) for p, indices in enumerate(per_process)]
    began = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        results = pool.map(_saturation_worker, jobs)
    seconds = time.perf_counter() - began
    latencies = [value for part, _errors, _cpu in results for value in part]
    return {
        "concurrency": concurrency,
        **_summary(latencies, seconds, sum(e for _latencies, e, _cpu in results)),
        "client_cpu_seconds": sum(cpu for _latencies, _errors, cpu in results),
    }


if __name__ == "__main__":
    sys.exit(main())
