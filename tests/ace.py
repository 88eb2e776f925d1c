"""DAISY Ace, the accessibility checker, run on an EPUB the tests built.

`make test` installs it (package.json at the repository root) and Debian's
chromium, which it drives headless instead of a browser of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACE = REPO / "node_modules" / ".bin" / "ace-cli"


def chromium() -> str:
    found = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is missing: run `make test` (scripts/system-packages.sh test installs it)"
    return found


def ace(epub: Path) -> dict:
    """Run Ace and return its JSON report."""
    assert ACE.exists(), "DAISY Ace is missing: run `make test` (or `make install-ace`)"
    out = epub.with_suffix(".ace")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium(), "PUPPETEER_SKIP_DOWNLOAD": "1"}
    run = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(out), str(epub)],
                         capture_output=True, text=True, timeout=600, env=env)
    report = out / "report.json"
    assert run.returncode == 0 and report.exists(), f"Ace failed ({run.returncode}): {run.stderr[-2000:]}"
    return json.loads(report.read_text(encoding="utf-8"))


def violations(report: dict) -> list[str]:
    """Every failed check, whatever its impact (minor, moderate, serious, critical)."""
    found = []
    for document in report.get("assertions", []):
        for check in document.get("assertions", []):
            if check["earl:result"]["earl:outcome"] != "pass":
                test = check["earl:test"]
                found.append(f"{test['earl:impact']} {test['dct:title']} in {document['earl:testSubject']['url']}: "
                             f"{check['earl:result'].get('dct:description', '')[:200]}")
    return found


def assert_ace_clean(epub: Path) -> dict:
    report = ace(epub)
    found = violations(report)
    assert not found, "\n".join(found)
    assert report["earl:result"]["earl:outcome"] == "pass", report["earl:result"]
    return report
