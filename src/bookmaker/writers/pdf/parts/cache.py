"""Parts laid out by an earlier build from the same inputs (`watch` after a one-chapter edit)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bookmaker.core.cache import cache_dir
from bookmaker.writers.pdf.parts.jobs import Job, Laid


def part_key(job: Job, state: dict) -> str:
    """What a part's layout depends on: its whole HTML (text, CSS, numbers, where it starts), the fonts
    installed, WeasyPrint's version and the build's own settings."""
    import weasyprint

    from bookmaker.writers.fonts import _fontconfig_stamp

    digest = hashlib.sha256(job.html.encode())
    digest.update(repr((job.pad, job.first_id, weasyprint.__version__, "keep-words-together", _fontconfig_stamp(),
                        state["base_url"], sorted(state["reported"]))).encode())
    if job.notes:  # what it reports of its notes: their page tops, and whether its probe begins a page
        digest.update(repr(("notes", job.probe, job.continued)).encode())
    return digest.hexdigest()


def from_cache(job: Job, state: dict) -> Laid | None:
    """A part laid out by an earlier build from the same inputs (`watch` after a one-chapter edit)."""
    import pickle

    folder = cache_dir("pdf-parts")
    if folder is None:
        return None
    try:
        laid = pickle.loads((folder / part_key(job, state)).read_bytes())
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        return None
    if not isinstance(laid, Laid) or not all((Path(job.font_dir) / f["sha"]).is_file() for f in laid.fonts.values()):
        return None
    laid.index = job.index
    return laid


def to_cache(job: Job, state: dict, laid: Laid) -> None:
    import pickle
    import tempfile

    folder = cache_dir("pdf-parts")
    if folder is None:
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=folder)
        with os.fdopen(fd, "wb") as out:
            pickle.dump(laid, out)
        os.replace(tmp, folder / part_key(job, state))
    except OSError:
        pass
