"""bookmaker beside the tools an author would pick instead, as an author feels it (issue 26).

    python benchmarks/run.py --only peers --sizes 50 --runs 1

On the same Markdown (the benchmark's book), each tool is timed four ways: a cold run (bookmaker: an
empty user cache and no earlier build), the same command again with nothing changed, the command after
a one-word edit of one chapter, and an edit in a running watcher (bookmaker: `watch`'s warm process, the
first edit after its cold build and the later ones; pandoc 3 + Typst: pandoc again and a warm Typst
compiler, as `typst watch` is; the others have no watcher). The tools take turns, so the load of a shared
machine falls on all alike; the load average is printed.

Peers (found when installed; `pip install -e '.[bench]'` brings the Python ones):
- pandoc + WeasyPrint: Debian's pandoc (`apt-get install pandoc`), `--pdf-engine=weasyprint` (this venv's);
- pandoc 3 + Typst: PyPI `pypandoc-binary` (pandoc 3) and `typst` (the compiler as a Python module);
- pagedjs-cli: `PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix benchmarks pagedjs-cli`, with Debian's chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
WAYS = ("cold", "nothing changed", "one-word edit")


def _pandoc3() -> str | None:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None


def _typst() -> bool:
    try:
        import typst  # noqa: F401
    except ImportError:
        return False
    return True


def _pagedjs() -> str | None:
    local = HERE / "node_modules" / ".bin" / "pagedjs-cli"
    found = str(local) if local.is_file() else shutil.which("pagedjs-cli")
    return found if found and shutil.which("chromium") else None


# pandoc 3's Typst template writes keywords unquoted (`(Qasem Soleimani,Quds Force)`), which Typst rejects.
TYPST_KEYWORDS = ["-V", 'keywords="bookmaker benchmark",']


def commands(folder: Path) -> dict[str, str]:
    """Each available tool's whole run as one shell command, from the book folder."""
    chapters = " ".join(f"manuscript/{p.name}" for p in sorted((folder / "manuscript").glob("*.md")))
    out = folder / "peers"
    out.mkdir(exist_ok=True)
    found = {"bookmaker pdf": f"{BIN / 'bookmaker'} pdf ."}
    if shutil.which("pandoc"):
        found["pandoc + WeasyPrint"] = (f"PATH={BIN}:$PATH pandoc -s -f markdown -t html5 --pdf-engine=weasyprint "
                                        f"-o {out / 'pandoc-weasyprint.pdf'} {chapters}")
    pandoc3 = _pandoc3()
    if pandoc3 and _typst():
        keywords = " ".join(f"'{a}'" for a in TYPST_KEYWORDS)
        found["pandoc 3 + Typst"] = (f"{pandoc3} -s -f markdown -t typst {keywords} -o {out / 'book.typ'} {chapters} && "
                                     f"{sys.executable} -c \"import typst; typst.compile('{out / 'book.typ'}', "
                                     f"output='{out / 'typst.pdf'}')\"")
    pagedjs = _pagedjs()
    if pagedjs and shutil.which("pandoc"):
        found["pagedjs-cli"] = (f"pandoc -s -f markdown -t html5 -o {out / 'paged.html'} {chapters} && "
                                f"PUPPETEER_EXECUTABLE_PATH={shutil.which('chromium')} {pagedjs} --browserArgs "
                                f"--no-sandbox {out / 'paged.html'} -o {out / 'paged.pdf'}")
    return found


def edit_one_word(folder: Path, n: int) -> None:
    """One word of the middle chapter's prose replaced by one no earlier edit wrote (no cache can know it)."""
    chapters = sorted((folder / "manuscript").glob("*.md"))
    chapter = chapters[len(chapters) // 2]
    text = chapter.read_text(encoding="utf-8")
    word = f"{'qxzjkv'[n % 6]}{'qxzjkv'[n // 6 % 6]}e"
    chapter.write_text(re.sub(r"(?m)^(?![:\[#>|-])(.*?)\bthe\b", rf"\g<1>{word}", text, count=1), encoding="utf-8")


def _run(command: str, folder: Path, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, shell=True, cwd=folder, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {command}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def measure_peers(folder: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    """{tool: {way: [seconds, one a round]}}; the tools take turns within each round."""
    found = commands(folder)
    cache = folder / "peers" / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    times: dict[str, dict[str, list[float]]] = {tool: {way: [] for way in WAYS} for tool in found}
    edits = 0
    for _ in range(runs):
        for tool, command in found.items():
            if tool == "bookmaker pdf":  # cold: no user cache, no earlier build
                shutil.rmtree(cache, ignore_errors=True)
                shutil.rmtree(folder / "build", ignore_errors=True)
            times[tool]["cold"].append(_run(command, folder, env))
            times[tool]["nothing changed"].append(_run(command, folder, env))
        edit_one_word(folder, edits)
        edits += 1
        for tool, command in found.items():
            times[tool]["one-word edit"].append(_run(command, folder, env))
        print("  round:", {t: {w: round(v[-1], 2) for w, v in ways.items()} for t, ways in times.items()}, flush=True)
    return times


WATCH_PROBE = r"""
import json, shutil, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from peers import edit_one_word
from bookmaker.build.pipeline import Builder, default_jobs
from bookmaker.build.request import BuildRequest

book, edits = Path(sys.argv[1]), int(sys.argv[2])
shutil.rmtree(book / "build", ignore_errors=True)
builder = Builder(book)
builder.jobs = default_jobs()  # as `bookmaker watch` does
builder.load_config()
builder.build(BuildRequest(formats=("pdf",)))  # `watch`'s first build, cold
times = []
for n in range(edits):
    edit_one_word(book, 100 + n)
    start = time.perf_counter()
    builder.build(BuildRequest(formats=("pdf",)))
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""

TYPST_PROBE = r"""
import json, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from peers import edit_one_word, TYPST_KEYWORDS
import typst

book, edits, pandoc3 = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[4]
chapters = [str(p) for p in sorted((book / "manuscript").glob("*.md"))]
typ, pdf = book / "peers" / "watch.typ", book / "peers" / "watch.pdf"

def convert():
    subprocess.run([pandoc3, "-s", "-f", "markdown", "-t", "typst", *TYPST_KEYWORDS, "-o", str(typ), *chapters],
                   check=True)

convert()
compiler = typst.Compiler(str(typ))
compiler.compile(output=str(pdf))  # the watcher's first compile
times = []
for n in range(edits):
    edit_one_word(book, 200 + n)
    start = time.perf_counter()
    convert()
    compiler.compile(output=str(pdf))
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def watch_edits(folder: Path, edits: int) -> dict[str, list[float]]:
    """Seconds of each edit in a warm watcher: bookmaker's (its first edit after a cold build first), Typst's."""
    env = {**os.environ, "XDG_CACHE_HOME": str(folder / "peers" / "cache-watch")}
    shutil.rmtree(env["XDG_CACHE_HOME"], ignore_errors=True)
    found = {}
    probe = subprocess.run([sys.executable, "-c", WATCH_PROBE, str(folder), str(edits), str(HERE)], env=env,
                           capture_output=True, text=True, check=True)
    found["bookmaker pdf"] = json.loads(probe.stdout.strip().splitlines()[-1])
    pandoc3 = _pandoc3()
    if pandoc3 and _typst():
        probe = subprocess.run([sys.executable, "-c", TYPST_PROBE, str(folder), str(edits), str(HERE), pandoc3],
                               capture_output=True, text=True, check=True)
        found["pandoc 3 + Typst"] = json.loads(probe.stdout.strip().splitlines()[-1])
    return found


def table(times: dict[str, dict[str, list[float]]], watch: dict[str, list[float]]) -> str:
    rows = ["| tool | cold | nothing changed | one-word edit | watch edit |", "|---|---:|---:|---:|---:|"]
    for tool, ways in times.items():
        cells = [f"{statistics.median(ways[w]):.1f} s" for w in WAYS]
        edits = watch.get(tool)
        if not edits:
            cells.append("—")
        elif len(edits) > 1:
            cells.append(f"first {edits[0]:.1f} s, then {statistics.median(edits[1:]):.1f} s")
        else:
            cells.append(f"{edits[0]:.1f} s")
        rows.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def versions() -> dict[str, str | None]:
    def first_line(argv: list[str]) -> str | None:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.splitlines()[0].strip()
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None

    found = {"pandoc": first_line(["pandoc", "--version"]), "weasyprint": first_line([str(BIN / "weasyprint"), "--version"])}
    if _pandoc3():
        found["pandoc 3"] = first_line([_pandoc3(), "--version"])
    if _typst():
        import typst

        found["typst"] = getattr(typst, "__version__", "installed")
    if _pagedjs():
        found["pagedjs-cli"] = first_line([_pagedjs(), "--version"])
    return found
