"""Benchmark: page latency with the demo data at 20 concurrent clients (gunicorn + wrk).

Builds the demo database into a scratch SQLite file (or reuses it with --reuse), starts
gunicorn on 127.0.0.1, signs in as the district administrator, and drives each page with
``wrk -c 20`` for a few seconds. The reference in the same run is /healthz (a bare Django
view with one SELECT 1) under the same load, so each page's p95 is also printed as a ratio.
Prints p50/p95/p99 ms and requests/s; asserts nothing.

    .venv/bin/python bench/bench_pages.py [--seconds 8] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = Path(tempfile.gettempdir()) / "gonghui-bench-pages.sqlite3"
PORT = 8765
PAGES = [
    "/healthz",
    "/",
    "/members/",
    "/members/?q=%E7%8E%8B",
    "/orgs/",
    "/orgs/enterprises/",
    "/audit/",
    "/mutual-aid/",
    "/mutual-aid/claims/",
    "/mutual-aid/review/",
    "/mutual-aid/claims/1/",
    "/api/v1/members",
    "/members/me/",
]


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{DB}",
        "GONGHUI_TESTING": "1",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SMS_BACKEND": "gonghui.accounts.sms.LocmemSmsBackend",
    }


def login() -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{PORT}"
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "mode": "password",
            "username": "district_admin",
            "password": "gonghui2026",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - our own local server
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    opener.open(request).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(url: str, cookie: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c20", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}", url],
        capture_output=True,
        text=True,
        check=False,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "p50": ms("50"),
        "p90": ms("90"),
        "p99": ms("99"),
        "rps": rps,
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="reuse the scratch demo database")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    python = str(ROOT / ".venv/bin/python")
    if not (args.reuse and DB.exists()):
        DB.unlink(missing_ok=True)
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
        subprocess.run(
            [python, "manage.py", "seed_demo"], cwd=ROOT, env=env(), check=True, capture_output=True
        )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-w",
            "4",
            "--threads",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        cookie = login()
        print(f"{'page':28} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>8}  p90 vs /healthz")
        reference = None
        for page in PAGES:
            r = wrk(f"http://127.0.0.1:{PORT}{page}", cookie, args.seconds)
            reference = reference or r
            note = f" (errors: {r['errors']:.0f})" if r["errors"] else ""
            print(
                f"{page:28} {r['p50']:8.1f} {r['p90']:8.1f} {r['p99']:8.1f} {r['rps']:8.0f}  "
                f"{r['p90'] / reference['p90']:.1f}x{note}"
            )
        print(
            "wrk reports p50/p90/p99 (no p95); 20 connections, 2 threads; gunicorn 4 workers × 2 threads, SQLite"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
