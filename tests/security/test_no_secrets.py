"""No secret in the repository: no private key, cloud or chat token, Django key, or a password / secret / key
hard-coded in code that runs outside the tests. Scans every file git tracks or would add (not the ignored ones)."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BINARY_SUFFIXES = {".mo", ".png", ".jpg", ".ico", ".woff", ".woff2", ".skops", ".gz", ".zip", ".pdf", ".sqlite3"}

# Split so that this file does not match itself.
ALWAYS_SECRET = {
    "private key": re.compile("-----BEGIN ([A-Z]+ )?" + "PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA" + r"[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_" + r"[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-" + r"[A-Za-z0-9-]{10,}"),
    "Django generated key": re.compile("django-" + r"insecure-\S{20,}"),
}
# A literal assigned to something named like a credential, e.g. SECRET_KEY = "…", password="…".
HARD_CODED = re.compile(
    r"""(?ix)\b[\w.]*(secret|password|passwd|api_key|token|private_key)\w*["']?\s*[:=]\s*["']([^"'\s]{8,})["']"""
)
# Where literal credentials are expected and harmless: the test suite, benchmarks, the test settings and examples.
PLACES_FOR_FAKES = ("tests/", "bench/", "config/settings/test.py", "docs/")
FAKE_WORDS = ("test", "bench", "example", "not-for-production", "changeme", "demo")


def _files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [ROOT / name for name in listed if Path(name).suffix not in BINARY_SUFFIXES and (ROOT / name).is_file()]


def _text(path: Path) -> str:
    try:
        return path.read_text()
    except UnicodeDecodeError:
        return ""


def test_no_key_or_token_is_in_any_file():
    found = [
        f"{path.relative_to(ROOT)}: {kind}"
        for path in _files()
        for kind, pattern in ALWAYS_SECRET.items()
        if pattern.search(_text(path))
    ]

    assert found == []


def test_no_credential_is_hard_coded_outside_the_tests():
    found = []
    for path in _files():
        relative = str(path.relative_to(ROOT))
        if relative.startswith(PLACES_FOR_FAKES) or path.suffix not in {
            ".py",
            ".toml",
            ".cfg",
            ".ini",
            ".yml",
            ".yaml",
            ".json",
            ".env",
            "",
        }:
            continue
        for match in HARD_CODED.finditer(_text(path)):
            if not any(word in match.group(2).lower() for word in FAKE_WORDS):
                found.append(f"{relative}: {match.group(0)}")

    assert found == []


def test_no_env_file_is_tracked():
    tracked = [path.name for path in _files() if path.name == ".env" or path.name.startswith(".env.")]

    assert set(tracked) <= {".env.example"}


def test_the_scanners_catch_what_they_look_for():
    assert ALWAYS_SECRET["private key"].search("-----BEGIN RSA " + "PRIVATE KEY-----")
    assert HARD_CODED.search('SECRET_KEY = "' + "x7#kq2!vz9" + '"')
    assert HARD_CODED.search('password="' + "hunter22" + '"')
