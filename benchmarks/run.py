"""Benchmark bookmaker against bare WeasyPrint and pandoc, side by side in one run.

    python benchmarks/run.py [--runs 3] [--sizes 1,10,50] [--out benchmarks]

Books: the sample article, and synthetic books of it repeated as 10 and 50
chapters (distinct note labels). For each book and tool: the median wall time
of whole-process runs, pages, pages per second and peak RSS. The machine is
shared and noisy, so targets are judged on ratios taken in the same run.
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
BIN = Path(sys.executable).parent
ARTICLE = REPO / "manuscript" / "qasem-soleimani.md"


@dataclass
class Measure:
    book: str
    tool: str
    runs: list[float]
    peak_rss_mb: float
    pages: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

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


def run_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole-process run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(argv)}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def measure(book: str, tool: str, argv: list[str], cwd: Path, runs: int) -> Measure:
    times, peak = [], 0.0
    for _ in range(runs):
        seconds, rss = run_once(argv, cwd)
        times.append(seconds)
        peak = max(peak, rss)
    return Measure(book=book, tool=tool, runs=times, peak_rss_mb=peak)


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

    steps = [
        ("bookmaker pdf", [bookmaker, "pdf", "-o", str(build / "book.pdf")]),
        ("weasyprint (bare)", [weasyprint, str(build / "book.html"), str(out / "bare.pdf")]),
        ("bookmaker epub", [bookmaker, "epub", "-o", str(build / "book.epub")]),
        ("bookmaker html", [bookmaker, "html", "-o", str(build / "book.html")]),
        ("bookmaker build", [bookmaker, "build", "--force", "-o", str(out / "all")]),
    ]
    if shutil.which("pandoc"):
        chapters = sorted(str(p) for p in (folder / "manuscript").glob("*.md"))
        steps.append(("pandoc epub", ["pandoc", "-f", "markdown", "-t", "epub3", "-o", str(out / "pandoc.epub"), *chapters]))
    for tool, argv in steps:
        m = measure(name, tool, argv, folder, runs)
        results.measures.append(m)
        print(f"  {tool:<20} {m.median:7.2f} s  {m.peak_rss_mb:7.0f} MB", flush=True)
    pages = pdf_pages(build / "book.pdf")
    for m in results.measures:
        if m.book == name:
            m.pages = pages


# -- report ---------------------------------------------------------------------------


def targets(results: Results, books: list[str]) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, met?) for each target of the performance issue."""
    out = []

    def ratio(book, a, b):
        ma, mb = results.get(book, a), results.get(book, b)
        return (ma.median / mb.median) if ma and mb else None

    for book in books:
        r = ratio(book, "bookmaker pdf", "weasyprint (bare)")
        out.append((f"{book}: pdf / bare WeasyPrint <= 1.10", f"{r:.2f}", r <= 1.10))
    r = ratio(books[0], "bookmaker epub", "pandoc epub")
    out.append((f"{books[0]}: epub / pandoc <= 1.0", f"{r:.2f}" if r else "pandoc not installed", r <= 1.0 if r else None))
    for book in books:
        sequence = sum(results.get(book, t).median for t in ("bookmaker pdf", "bookmaker epub", "bookmaker html"))
        both = results.get(book, "bookmaker build").median
        out.append((f"{book}: build < pdf+epub+html in sequence", f"{both:.2f} s vs {sequence:.2f} s", both < sequence))
    small, big = books[0], books[-1]
    if big != small:
        per_page = lambda b: results.get(b, "bookmaker pdf").median / results.get(b, "bookmaker pdf").pages  # noqa: E731
        r = per_page(big) / per_page(small)
        out.append((f"{big}: pdf time per page within 1.2x of {small}'s", f"{r:.2f}x", r <= 1.2))
        r = results.get(big, "bookmaker pdf").peak_rss_mb / results.get(big, "weasyprint (bare)").peak_rss_mb
        out.append((f"{big}: pdf peak RSS within 1.2x of bare WeasyPrint's", f"{r:.2f}x", r <= 1.2))
        rss = results.get(big, "bookmaker epub").peak_rss_mb
        out.append((f"{big}: epub peak RSS < 300 MB", f"{rss:.0f} MB", rss < 300))
        epub_pp = [results.get(b, "bookmaker epub").median / results.get(b, "bookmaker epub").pages for b in books]
        out.append(("epub growth linear in pages (time/page of the largest within 1.2x of the 10-chapter book's)",
                    " / ".join(f"{x * 1000:.1f} ms" for x in epub_pp),
                    epub_pp[-1] <= 1.2 * epub_pp[-2] if len(epub_pp) > 2 else None))
    return out


WATCH_PROBE = r"""
import json, sys, time
from pathlib import Path
from bookmaker.pipeline import Builder

book = Path(sys.argv[1])
chapter = sorted((book / "manuscript").glob("*.md"))[0]
builder = Builder(book)
builder.load_config()
builder.build(["pdf", "epub"], force=True)  # warm: what `bookmaker watch` has done before the edit
times = {"epub": [], "pdf": []}
for n in range(int(sys.argv[2])):
    for fmt in ("epub", "pdf"):
        chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nOne more line, edit {n}.\n", encoding="utf-8")
        start = time.perf_counter()
        builder.build([fmt])
        times[fmt].append(time.perf_counter() - start)
print(json.dumps(times))
"""


def watch_check(folder: Path, runs: int) -> dict[str, float]:
    """In one warm process, as `bookmaker watch` is: the time to rebuild after a one-line edit."""
    out = subprocess.run([sys.executable, "-c", WATCH_PROBE, str(folder), str(runs)], capture_output=True,
                         text=True, check=True).stdout
    return {fmt: statistics.median(times) for fmt, times in json.loads(out.strip().splitlines()[-1]).items()}


def help_check(runs: int) -> tuple[float, bool]:
    """`bookmaker --help` time, and whether `--help` or `epub` import WeasyPrint."""
    m = measure("-", "bookmaker --help", [str(BIN / "bookmaker"), "--help"], REPO, runs)
    probe = ("import sys, bookmaker.cli, bookmaker.writers.epub, bookmaker.reader;"
             "print('weasyprint' in sys.modules)")
    imports = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    return m.median, imports == "False"


def table(results: Results, books: list[str]) -> str:
    rows = ["| book | pages | tool | median s | pages/s | peak RSS MB |", "|---|---:|---|---:|---:|---:|"]
    for book in books:
        for m in (m for m in results.measures if m.book == book):
            pps = f"{m.pages_per_second:.1f}" if m.pages_per_second else ""
            rows.append(f"| {book} | {m.pages} | {m.tool} | {m.median:.2f} | {pps} | {m.peak_rss_mb:.0f} |")
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
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = Results(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine={"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                 "pandoc": _version(["pandoc", "--version"]), "weasyprint": _version([str(BIN / "weasyprint"), "--version"])},
        runs=args.runs,
    )
    # Installed packages carry compiled bytecode; an editable install (or
    # PYTHONDONTWRITEBYTECODE) may not, and would time the compiler instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src")], check=True, capture_output=True)
    books = []
    with tempfile.TemporaryDirectory(prefix="bookmaker-bench-") as tmp:
        for n in sizes:
            name = "article" if n == 1 else f"{n} chapters"
            print(f"{name}:", flush=True)
            bench_book(name, make_book(Path(tmp) / f"book-{n}", n), args.runs, results)
            books.append(name)
        watch = watch_check(make_book(Path(tmp) / "watched", 1), args.runs)
    help_seconds, no_weasyprint = help_check(args.runs)

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
    for target, value, met in checks:
        verdict = "n/a" if met is None else ("met" if met else "MISSED")
        print(f"- {target}: {value} ({verdict})")

    args.out.mkdir(parents=True, exist_ok=True)
    data = asdict(results) | {"targets": [{"target": t, "value": v, "met": m} for t, v, m in checks],
                              "watch_rebuild_seconds": watch}
    for m, d in zip(results.measures, data["measures"]):
        d["median"] = m.median
        d["pages_per_second"] = m.pages_per_second
    (args.out / "results.json").write_text(json.dumps(data, indent=2) + "\n")
    chart(results, books, args.out / "chart.png")
    print(f"\nwrote {args.out / 'results.json'} and {args.out / 'chart.png'}")


def _version(argv: list[str]) -> str | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return None


if __name__ == "__main__":
    main()
