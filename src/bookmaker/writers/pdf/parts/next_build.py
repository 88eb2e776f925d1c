"""What a first build leaves for the next: its chain of notes, cached as the parts the next build cuts.

A first build lays the notes out as a chain of pieces (notes/chain.py), each ending at a page top. The
next build cuts the notes at page tops (notes/cuts.py) and lays out each part from the cut: before,
it chose other cuts than the chain's pieces, so the second build of a book laid out all its notes
again (and the index, whose start was not known: the new parts' lengths were not), which made the
first edit in `watch` as slow as a cold build. Here the chain's pieces become those parts: the cuts
kept in the notes' record are where the pieces began, each piece is cached under the key of the job
the next build makes for its part (the same HTML: the piece's own layout up to its cut, with the probe
after it, is what that part's layout is), and the parts' lengths are recorded, so every start is known.
The next build checks each join as it checks every cut (waves.check_cuts).
"""

from __future__ import annotations

from bookmaker.writers.pdf.notes.cuts import NoteCut, load_tops, save_tops
from bookmaker.writers.pdf.pagemap import load_page_map, save_page_map
from bookmaker.writers.pdf.parts.cache import to_cache
from bookmaker.writers.pdf.parts.jobs import Job, debug
from bookmaker.writers.pdf.parts.split import numbers_shown, part_html, split


def leave_cut_notes(build) -> None:
    """After a build (a PartsBuild) that saved its page map and notes' record: the cuts it used, and its
    chain's pieces as the next build's parts."""
    key = build.settings.key
    record = load_tops(key)
    if record is None:
        return
    cuts: list[NoteCut] = list(build.cuts)
    if len(build.chained) == 1:
        (index, pieces), = build.chained.items()
        more = _cache_pieces(build, record, index, pieces, key)
        cuts += more
    record.cuts = [cut.token for cut in cuts]
    save_tops(key, record)


def _cache_pieces(build, record, index: int, pieces: list, key: str) -> list[NoteCut]:
    """The pieces of the chain that made part `index`, cached as the parts the next build cuts them into;
    the cuts between them (none when they cannot be so)."""
    begins = [begin for begin, _ in pieces]
    if (begins[0] != (build.parts[index].notes.continued if build.parts[index].notes else None)
            or any(begin is None for begin in begins[1:])):
        return []
    cuts = [*build.cuts, *begins[1:]]
    found = split(build.html, cuts)
    if found is None:
        return []
    head, body_open, parts = found
    if [p.name for p in parts[:index]] != [p.name for p in build.parts[:index]] or len(parts) < index + len(pieces):
        return []
    if pieces[0][1].start != build.starts[index]:
        return []  # laid out from another start than the book's (the chain's first piece was not renumbered)
    numbers = dict(load_page_map(key))  # what the next build writes in, as it reads them
    lengths = dict(load_page_map(key + "#parts"))
    for k, (begin, laid) in enumerate(pieces):
        part = parts[index + k]
        if part.notes is None or part.notes.continued != begin:
            return []
        strings = record.tops.get(begin.token, [0, {}])[1] if begin is not None else build.strings_for.get(index)
        lengths[part.name] = laid.pages - laid.blank_first
        if k > 0 and strings != pieces[k - 1][1].notes.probe_strings:
            continue  # laid out with other running heads than the next build gives it: laid out again then
        # As the next build's plan writes them in (plan.Planning._plan).
        wanted = numbers_shown(part, numbers, laid.start)
        if laid.used is not None and any(laid.used.get(name) != number for name, number in wanted.items()):
            continue  # a piece laid out beside the chapters with a number that moved since: laid out again then
        html = part_html(head, body_open, part, max(laid.start, 1), True, wanted, build.title, build.rtl, strings)
        job = Job(index + k, html, True, laid.start, wanted, build.font_dir, part.name, notes=True,
                  probe=part.notes.probe_cut, continued=part.notes.continued)
        to_cache(job, build.state, laid)
    save_page_map(key + "#parts", lengths)
    debug(f"the notes' chain left as {len(pieces)} parts for the next build")
    return begins[1:]
