"""Benchmark bookmaker against bare WeasyPrint and pandoc, side by side in one run.

    python benchmarks/run.py [--runs 3] [--sizes 1,10,50] [--out benchmarks]

Books: the sample article, and synthetic books of it repeated as 10 and 50
chapters (distinct note labels). For each book and tool: the median wall time
of whole-process runs, pages, pages per second, the peak RSS of the largest
process and the peak of all its processes together (proportional set size,
so pages the layout workers share with their parent count once), and the
PDF's size. The tools run in turn, one run of each, `--runs` times over
(alternating, so the load of a shared machine falls on all of them alike);
the targets are ratios taken in the same run. The load average is recorded.

The PDF is measured four ways: `--jobs 1` (the book as one document, with
the page map of its previous build), parallel (`--jobs` one per core, the
default) cold (an empty user cache: no page map, no laid-out parts), parallel
with the page map (the laid-out parts dropped, as after a style change), and
bare WeasyPrint on the same HTML.
Writes results.json and a chart (time against pages) into --out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # peers.py beside it
BIN = Path(sys.executable).parent
ARTICLE = REPO / "manuscript" / "qasem-soleimani.md"


@dataclass
class Measure:
    book: str
    tool: str
    runs: list[float]
    peak_rss_mb: float  # the largest process
    pages: int | None = None
    total_rss_mb: float = 0.0  # all its processes at once (PSS)
    output_bytes: int | None = None
    cpu: list[float] = field(default_factory=list)  # user + system seconds of each run, its processes together

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def pages_per_second(self) -> float | None:
        return self.pages / self.median if self.pages else None


@dataclass
class Results:
    date: str
    machine: dict
    runs: int
    measures: list[Measure] = field(default_factory=list)

    def get(self, book: str, tool: str) -> Measure | None:
        return next((m for m in self.measures if m.book == book and m.tool == tool), None)


# -- books ---------------------------------------------------------------------------


def make_book(folder: Path, chapters: int) -> Path:
    """The article once (chapters == 1), or repeated as chapters with distinct note labels."""
    manuscript = folder / "manuscript"
    manuscript.mkdir(parents=True)
    text = ARTICLE.read_text(encoding="utf-8")
    if chapters == 1:
        (manuscript / ARTICLE.name).write_text(text, encoding="utf-8")
        return folder
    front, body = re.match(r"(?s)^(---\n.*?\n---\n)(.*)$", text).groups()
    front = re.sub(r"(?m)^title: .*$", f"title: Benchmark book of {chapters} chapters", front)
    for n in range(1, chapters + 1):
        # Labels are per file already; distinct ones keep the book like a real long book.
        chapter_body = re.sub(r"\[\^([^\]]+)\]", lambda m: f"[^{m.group(1)}-c{n}]", body)
        chapter = f"# Chapter {n}\n\n{chapter_body}"
        (manuscript / f"{n:02d}-chapter.md").write_text((front if n == 1 else "") + chapter, encoding="utf-8")
    return folder


# -- running ---------------------------------------------------------------------------


class TreeMemory:
    """Samples a process and its descendants: the largest peak RSS (VmHWM) of any of them, and the
    largest sum of their proportional set sizes at one moment."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid = pid
        self.largest_kb = 0
        self.total_kb = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(c) for c in open(f"/proc/{pid}/task/{task}/children").read().split()]
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        while not self.stop.wait(0.1):
            total = 0
            for pid in self._tree():
                try:
                    status = open(f"/proc/{pid}/status").read()
                    rollup = open(f"/proc/{pid}/smaps_rollup").read()
                except OSError:
                    continue
                hwm = re.search(r"VmHWM:\s+(\d+)", status)
                pss = re.search(r"^Pss:\s+(\d+)", rollup, re.M)
                if hwm:
                    self.largest_kb = max(self.largest_kb, int(hwm.group(1)))
                if pss:
                    total += int(pss.group(1))
            self.total_kb = max(self.total_kb, total)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


def run_once(argv: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, float, float]:
    """Wall seconds, peak RSS of the largest process and peak total (MB), and CPU seconds (user + system,
    with the processes it waited for) of one whole-process run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    memory = TreeMemory(proc.pid) if Path("/proc").is_dir() else None
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if memory:
        memory.close()
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n{stderr}")
    largest = max(usage.ru_maxrss, memory.largest_kb if memory else 0) / 1024
    total = (memory.total_kb / 1024) if memory and memory.total_kb else largest
    return elapsed, largest, total, usage.ru_utime + usage.ru_stime


@dataclass
class Step:
    tool: str
    argv: list[str]
    output: Path | None = None
    prepare: object = None  # called before each run (a cold cache, say)
    env: dict = field(default_factory=dict)


def measure_alternating(book: str, steps: list[Step], cwd: Path, runs: int) -> list[Measure]:
    """Each step once per round, `runs` rounds: a load that comes and goes falls on every tool."""
    found = {s.tool: Measure(book=book, tool=s.tool, runs=[], peak_rss_mb=0.0) for s in steps}
    for _ in range(runs):
        for step in steps:
            if step.prepare:
                step.prepare()
            seconds, largest, total, cpu = run_once(step.argv, cwd, step.env)
            m = found[step.tool]
            m.runs.append(seconds)
            m.cpu.append(cpu)
            m.peak_rss_mb = max(m.peak_rss_mb, largest)
            m.total_rss_mb = max(m.total_rss_mb, total)
            if step.output and step.output.is_file():
                m.output_bytes = step.output.stat().st_size
    return list(found.values())


def measure(book: str, tool: str, argv: list[str], cwd: Path, runs: int) -> Measure:
    return measure_alternating(book, [Step(tool, argv)], cwd, runs)[0]


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def bench_book(name: str, folder: Path, runs: int, results: Results) -> None:
    bookmaker = str(BIN / "bookmaker")
    weasyprint = str(BIN / "weasyprint")
    build = folder / "build"
    out = folder / "out"
    out.mkdir()
    # The HTML that bookmaker renders the PDF from, for the bare WeasyPrint floor.
    subprocess.run([bookmaker, "html", "-o", str(build / "book.html")], cwd=folder, check=True, capture_output=True)

    # Each way of making the PDF has its own user cache (page maps, laid-out parts).
    caches = {kind: folder / f"cache-{kind}" for kind in ("jobs1", "cold", "pagemap", "other")}
    env = {kind: {"XDG_CACHE_HOME": str(path)} for kind, path in caches.items()}

    def cold() -> None:
        shutil.rmtree(caches["cold"], ignore_errors=True)

    def parts_dropped() -> None:
        for parts in caches["pagemap"].glob("bookmaker/*/pdf-parts"):
            shutil.rmtree(parts)

    # The page map of a previous build, for --jobs 1 and the style-change rebuild.
    for kind in ("jobs1", "pagemap"):
        jobs = "1" if kind == "jobs1" else str(os.cpu_count() or 2)
        subprocess.run([bookmaker, "pdf", "--jobs", jobs, "-o", str(out / "warm.pdf")],
                       cwd=folder, check=True, capture_output=True, env={**os.environ, **env[kind]})
    steps = [
        Step("bookmaker pdf --jobs 1", [bookmaker, "pdf", "--jobs", "1", "-o", str(build / "book.pdf")],
             build / "book.pdf", env=env["jobs1"]),
        Step("bookmaker pdf (cold)", [bookmaker, "pdf", "--jobs", str(os.cpu_count() or 2), "-o", str(out / "parallel.pdf")], out / "parallel.pdf",
             prepare=cold, env=env["cold"]),
        Step("bookmaker pdf (page map)", [bookmaker, "pdf", "--jobs", str(os.cpu_count() or 2), "-o", str(out / "pagemap.pdf")], out / "pagemap.pdf",
             prepare=parts_dropped, env=env["pagemap"]),
        Step("weasyprint (bare)", [weasyprint, str(build / "book.html"), str(out / "bare.pdf")], out / "bare.pdf"),
        Step("bookmaker epub", [bookmaker, "epub", "-o", str(build / "book.epub")], build / "book.epub", env=env["other"]),
        Step("bookmaker html", [bookmaker, "html", "-o", str(build / "book.html")], env=env["other"]),
        Step("bookmaker build", [bookmaker, "build", "--force", "-o", str(out / "all")], env=env["other"]),
    ]
    if shutil.which("pandoc"):
        chapters = sorted(str(p) for p in (folder / "manuscript").glob("*.md"))
        steps.append(Step("pandoc epub", ["pandoc", "-f", "markdown", "-t", "epub3", "-o", str(out / "pandoc.epub"),
                                          *chapters]))
    for m in measure_alternating(name, steps, folder, runs):
        results.measures.append(m)
        print(f"  {m.tool:<26} {m.median:7.2f} s  largest {m.peak_rss_mb:5.0f} MB  all {m.total_rss_mb:5.0f} MB",
              flush=True)
    pages = pdf_pages(build / "book.pdf")
    for m in results.measures:
        if m.book == name:
            m.pages = pages


def bench_epub(name: str, folder: Path, runs: int, results: Results) -> None:
    """The EPUB alone against pandoc, with what Python's start-up costs before any book is read:
    the interpreter alone (`python -c pass`) and the command loaded (`bookmaker --version`)."""
    bookmaker = str(BIN / "bookmaker")
    out = folder / "out"
    out.mkdir()
    env = {"XDG_CACHE_HOME": str(folder / "cache-epub")}
    # A first build fills the user cache (font paths, the cover, font subsets), as any earlier build has.
    subprocess.run([bookmaker, "epub", "-o", str(out / "warm.epub")], cwd=folder, check=True, capture_output=True,
                   env={**os.environ, **env})
    chapters = sorted(str(p) for p in (folder / "manuscript").glob("*.md"))
    steps = [
        Step("python -c pass", [sys.executable, "-c", "pass"]),
        Step("bookmaker --version", [bookmaker, "--version"], env=env),
        Step("bookmaker epub", [bookmaker, "epub", "-o", str(out / "book.epub")], out / "book.epub", env=env),
        Step("pandoc epub", ["pandoc", "-f", "markdown", "-t", "epub3", "-o", str(out / "pandoc.epub"), *chapters],
             out / "pandoc.epub"),
    ]
    for m in measure_alternating(name, steps, folder, runs):
        results.measures.append(m)
        print(f"  {m.tool:<22} {m.median:7.3f} s  cpu {m.cpu_median:7.3f} s  largest {m.peak_rss_mb:5.0f} MB",
              flush=True)


def epub_report(results: Results, books: list[str]) -> list[tuple[str, str, bool | None]]:
    rows = ["| book | tool | median s | median CPU s (user+sys) | largest process MB |", "|---|---|---:|---:|---:|"]
    checks = []
    for book in books:
        for m in (m for m in results.measures if m.book == book):
            rows.append(f"| {book} | {m.tool} | {m.median:.3f} | {m.cpu_median:.3f} | {m.peak_rss_mb:.0f} |")
        ours, theirs = results.get(book, "bookmaker epub"), results.get(book, "pandoc epub")
        limit = 1.6 if book == "article" else 1.0
        wall, cpu = ours.median / theirs.median, ours.cpu_median / theirs.cpu_median
        checks.append((f"{book}: epub / pandoc <= {limit}", f"{wall:.2f} (CPU time {cpu:.2f})", wall <= limit))
    print("\n".join(rows))
    return checks


# -- report ---------------------------------------------------------------------------


def targets(results: Results, books: list[str]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for each target of the performance issues (7 and 15)."""
    out = []

    def get(book, tool):
        return results.get(book, tool)

    def speedup(book, tool):
        bare, m = get(book, "weasyprint (bare)"), get(book, tool)
        return bare.median / m.median if bare and m else None

    small, big = books[0], books[-1]
    r = get(small, "bookmaker pdf --jobs 1").median / get(small, "weasyprint (bare)").median
    out.append((f"{small}: pdf --jobs 1 / bare WeasyPrint <= 1.10 (no slower than before)", f"{r:.2f}", r <= 1.10))
    if big != small:
        for tool, wanted in (("bookmaker pdf (cold)", 2.0), ("bookmaker pdf (page map)", 2.5),
                             ("bookmaker pdf --jobs 1", 1.3)):
            r = speedup(big, tool)
            out.append((f"{big}: {tool} >= {wanted}x faster than bare WeasyPrint", f"{r:.2f}x", r >= wanted))
        for tool in ("bookmaker pdf (cold)", "bookmaker pdf (page map)"):
            r = get(big, tool).peak_rss_mb / get(big, "weasyprint (bare)").peak_rss_mb
            out.append((f"{big}: {tool}, largest process <= 0.25x bare WeasyPrint's peak RSS",
                        f"{r:.2f}x ({get(big, tool).peak_rss_mb:.0f} MB, all processes "
                        f"{get(big, tool).total_rss_mb:.0f} MB)", r <= 0.25))
        one, parts = get(big, "bookmaker pdf --jobs 1"), get(big, "bookmaker pdf (cold)")
        if one.output_bytes and parts.output_bytes:
            r = parts.output_bytes / one.output_bytes
            out.append((f"{big}: parallel PDF size <= 1.1x the --jobs 1 PDF's", f"{r:.3f}x", r <= 1.1))
    pandoc = [(b, get(b, "bookmaker epub"), get(b, "pandoc epub")) for b in books]
    for book, epub, theirs in pandoc:
        if theirs is None:
            continue
        limit = 1.6 if book == "article" else 1.0
        r = epub.median / theirs.median
        out.append((f"{book}: epub / pandoc <= {limit}", f"{r:.2f}", r <= limit))
    return out


WATCH_PROBE = r"""
import json, re, sys, time
from pathlib import Path
from bookmaker.build.pipeline import Builder, default_jobs
from bookmaker.build.request import BuildRequest

book = Path(sys.argv[1])
chapters = sorted((book / "manuscript").glob("*.md"))
chapter = chapters[len(chapters) // 2]  # in the middle: parts after it keep their pages
builder = Builder(book)
builder.jobs = default_jobs()  # as `bookmaker watch` does
builder.load_config()
builder.build(BuildRequest(formats=("pdf", "epub"), force=True))  # warm: what `bookmaker watch` has done before the edit
times = {"epub": [], "pdf": [], "pdf, one word": [], "pdf, one note": []}
for n in range(int(sys.argv[2])):
    for fmt in ("epub", "pdf"):
        chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nOne more line, edit {n}.\n", encoding="utf-8")
        start = time.perf_counter()
        builder.build(BuildRequest(formats=(fmt,)))
        times[fmt].append(time.perf_counter() - start)
    # A word of the text, then a word of a note, replaced by one of the same length: the page count stays.
    # Each run writes a word no earlier run wrote, so no laid-out part can come back from the cache.
    for key, notes, word in (("pdf, one word", False, "the"), ("pdf, one note", True, "and")):
        lines = chapter.read_text(encoding="utf-8").split("\n")
        i = next(i for i, line in enumerate(lines) if line.startswith("[^") == notes and re.search(rf"\b{word}\b", line))
        lines[i] = re.sub(rf"\b{word}\b", f"{'qxzjkv'[n % 6]}{'qxzjkv'[n // 6 % 6]}{word[2]}", lines[i], count=1)
        chapter.write_text("\n".join(lines), encoding="utf-8")
        start = time.perf_counter()
        builder.build(BuildRequest(formats=("pdf",)))
        times[key].append(time.perf_counter() - start)
print(json.dumps(times))
"""


def watch_check(folder: Path, runs: int) -> dict[str, float]:
    """In one warm process, as `bookmaker watch` is: the time to rebuild after an edit."""
    env = {**os.environ, "XDG_CACHE_HOME": str(folder / "cache-watch")}
    out = subprocess.run([sys.executable, "-c", WATCH_PROBE, str(folder), str(runs)], capture_output=True,
                         text=True, check=True, env=env).stdout
    return {fmt: statistics.median(times) for fmt, times in json.loads(out.strip().splitlines()[-1]).items()}


def help_check(runs: int) -> tuple[float, bool]:
    """`bookmaker --help` time, and whether `--help` or `epub` import WeasyPrint."""
    m = measure("-", "bookmaker --help", [str(BIN / "bookmaker"), "--help"], REPO, runs)
    probe = ("import sys, bookmaker.cli, bookmaker.writers.epub.writer, bookmaker.read;"
             "print('weasyprint' in sys.modules)")
    imports = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    return m.median, imports == "False"


def table(results: Results, books: list[str]) -> str:
    rows = ["| book | pages | tool | median s | pages/s | largest process MB | all processes MB |",
            "|---|---:|---|---:|---:|---:|---:|"]
    for book in books:
        for m in (m for m in results.measures if m.book == book):
            pps = f"{m.pages_per_second:.1f}" if m.pages_per_second else ""
            rows.append(f"| {book} | {m.pages} | {m.tool} | {m.median:.2f} | {pps} | {m.peak_rss_mb:.0f} "
                        f"| {m.total_rss_mb:.0f} |")
    return "\n".join(rows)


def chart(results: Results, books: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    for tool in dict.fromkeys(m.tool for m in results.measures):
        points = [(results.get(b, tool).pages, results.get(b, tool).median) for b in books if results.get(b, tool)]
        ax.plot([p for p, _ in points], [t for _, t in points], marker="o", label=tool)
    ax.set_xlabel("pages (of the book's PDF)")
    ax.set_ylabel("median wall time (s)")
    ax.set_title(f"bookmaker benchmark, {results.date}")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="whole-process runs per measure (median is kept)")
    parser.add_argument("--sizes", default="1,10,50", help="books: the article repeated as N chapters")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks", help="folder for results.json and chart.png")
    parser.add_argument("--only", choices=["epub", "peers"], default=None,
                        help="epub: only `bookmaker epub` against pandoc (and Python's start-up), printed, "
                             "nothing written; peers: `bookmaker pdf` beside pandoc + WeasyPrint, pandoc 3 + "
                             "Typst and pagedjs-cli, cold, nothing changed, one-word edit and watch "
                             "(benchmarks/peers.py), written to peers.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.only == "peers":
        return peers_main(sizes, args.runs, args.out)
    results = Results(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine={"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                 "pandoc": _version(["pandoc", "--version"]), "weasyprint": _version([str(BIN / "weasyprint"), "--version"])},
        runs=args.runs,
    )
    results.machine["loadavg_start"] = _loadavg()
    # Installed packages carry compiled bytecode; an editable install (or
    # PYTHONDONTWRITEBYTECODE) may not, and would time the compiler instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True, capture_output=True)
    books = []
    bench = bench_epub if args.only == "epub" else bench_book
    with tempfile.TemporaryDirectory(prefix="bookmaker-bench-") as tmp:
        for n in sizes:
            name = "article" if n == 1 else f"{n} chapters"
            print(f"{name}:", flush=True)
            bench(name, make_book(Path(tmp) / f"book-{n}", n), args.runs, results)
            books.append(name)
        if args.only == "epub":
            print(f"\nload average {results.machine['loadavg_start']} at the start, {_loadavg()} at the end")
            for target, value, met in epub_report(results, books):
                print(f"- {target}: {value} ({'met' if met else 'MISSED'})")
            return
        watch = watch_check(make_book(Path(tmp) / "watched", 1), args.runs)
        print("watch, article:", watch, flush=True)
        watch_big = watch_check(make_book(Path(tmp) / "watched-big", sizes[-1]), args.runs) if sizes[-1] > 1 else {}
        print(f"watch, {books[-1]}:", watch_big, flush=True)
    help_seconds, no_weasyprint = help_check(args.runs)
    results.machine["loadavg_end"] = _loadavg()

    print()
    print(table(results, books))
    print()
    checks = targets(results, books)
    checks.append(("bookmaker --help under 0.3 s", f"{help_seconds:.2f} s", help_seconds < 0.3))
    checks.append(("--help and epub never import WeasyPrint", "not imported" if no_weasyprint else "imported", no_weasyprint))
    checks.append(("watch: one-line edit, article EPUB rebuilt under 0.3 s", f"{watch['epub']:.2f} s", watch["epub"] < 0.3))
    bare = results.get(books[0], "weasyprint (bare)").median
    checks.append(("watch: one-line edit, article PDF rebuilt faster than one bare WeasyPrint run",
                   f"{watch['pdf']:.2f} s vs {bare:.2f} s", watch["pdf"] < bare))
    if watch_big:
        checks.append((f"watch: {books[-1]}, one-word edit of one chapter, PDF rebuilt under 3 s",
                       f"{watch_big['pdf, one word']:.2f} s", watch_big["pdf, one word"] < 3))
        checks.append((f"watch: {books[-1]}, one note's text edited, PDF rebuilt under 5 s",
                       f"{watch_big['pdf, one note']:.2f} s", watch_big["pdf, one note"] < 5))
    for target, value, met in checks:
        verdict = "n/a" if met is None else ("met" if met else "MISSED")
        print(f"- {target}: {value} ({verdict})")

    args.out.mkdir(parents=True, exist_ok=True)
    data = asdict(results) | {"targets": [{"target": t, "value": v, "met": m} for t, v, m in checks],
                              "watch_rebuild_seconds": watch, "watch_rebuild_seconds_big": watch_big}
    for m, d in zip(results.measures, data["measures"]):
        d["median"] = m.median
        d["pages_per_second"] = m.pages_per_second
    (args.out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    try:
        chart(results, books, args.out / "chart.png")
    except ImportError:  # the chart needs matplotlib, which neither the book's nor the tests' install brings
        print(f"\nwrote {args.out / 'results.json'} (no chart: `.venv/bin/pip install matplotlib` for one)")
    else:
        print(f"\nwrote {args.out / 'results.json'} and {args.out / 'chart.png'}")


def peers_main(sizes: list[int], runs: int, out: Path) -> None:
    import peers

    found = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "cpus": os.cpu_count(), "versions": peers.versions(), "loadavg_start": _loadavg(), "books": {}}
    with tempfile.TemporaryDirectory(prefix="bookmaker-peers-") as tmp:
        for n in sizes:
            name = "article" if n == 1 else f"{n} chapters"
            print(f"{name}:", flush=True)
            folder = make_book(Path(tmp) / f"book-{n}", n)
            times = peers.measure_peers(folder, runs)
            watch = peers.watch_edits(folder, 3)
            found["books"][name] = {"times": times, "watch": watch, "loadavg": _loadavg()}
            print(peers.table(times, watch), flush=True)
    found["loadavg_end"] = _loadavg()
    print(f"load average {found['loadavg_start']} at the start, {found['loadavg_end']} at the end")
    out.mkdir(parents=True, exist_ok=True)
    (out / "peers.json").write_text(json.dumps(found, indent=2) + "\n")
    print(f"wrote {out / 'peers.json'}")


def _loadavg() -> str | None:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return None


def _version(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


if __name__ == "__main__":
    main()
