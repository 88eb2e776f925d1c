"""The function the pool runs for a part: laid out as one document, or the notes of a first build in a chain."""

from __future__ import annotations

from bookmaker.writers.pdf.notes.chain import lay_out_chain
from bookmaker.writers.pdf.parts.apart import WriteFailed
from bookmaker.writers.pdf.notes.marks import with_marks
from bookmaker.writers.pdf.parts.desk import ask_numbers, ask_part
from bookmaker.writers.pdf.parts.jobs import WORKER, Job, Laid, debug
from bookmaker.writers.pdf.parts.split import part_html
from bookmaker.writers.pdf.parts.worker import lay_out_one


def lay_out_part(job: Job) -> Laid:
    """Lay out one part and write it as a PDF whose fonts are left for the merge to subset, with the
    digest of every file it fetched (images, fonts, stylesheets): the key of its cache entry."""
    fetcher = WORKER["fetcher"]
    fetcher.record = {}
    try:
        laid = _lay_out_part(job)
    finally:
        record, fetcher.record = fetcher.record or {}, None
    laid.resources = record
    return laid


def _lay_out_part(job: Job) -> Laid:
    if job.asks is not None:  # laid out beside the parts it numbers: its document once they are (desk.py)
        job.html = ask_part(job.wave, job.index, set(job.asks))
    if job.chain is not None:
        try:
            laid = lay_out_chain(job)
        except WriteFailed as failed:
            # Not the book's doing (a child process that could not write): laid out whole this time, and
            # not marked as notes the chain cannot follow, which would keep them whole in later builds.
            debug(f"the notes laid out whole: {failed}")
            return _laid_whole(job)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            laid = None  # notes in markup of the book's own that the chain does not follow: laid out whole
        if laid is not None:
            return laid
        laid = _laid_whole(job)
        laid.chain_failed = True
        return laid
    return lay_out_one(job)


def _laid_whole(job: Job) -> Laid:
    whole = _whole(job)
    laid = lay_out_one(whole)
    laid.used = whole.numbers if whole is not job else None  # an early chain's: as the desk gave them
    return laid


def _whole(job: Job) -> Job:
    """The notes laid out whole when their chain could not be. An early chain's whole waits for its start in
    this worker, and is laid out with its numbers and marks once the parent knows them: laid out with the
    plan's guesses, the next wave would lay the whole notes out once more."""
    if not job.early:
        return job
    import dataclasses

    head, body_open, part, title, rtl, strings = job.chain
    numbers = {**job.numbers, **ask_numbers(job.wave, job.index, 0, part.pagerefs)}  # the chain asked 1, 2...
    part = dataclasses.replace(part, body=with_marks(part.body, numbers))
    return dataclasses.replace(job, html=part_html(head, body_open, part, max(job.start, 1), True, numbers, title,
                                                   rtl, strings), numbers=numbers, early=False, chain=None)
