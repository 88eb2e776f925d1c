"""Parts laid out by an earlier build from the same inputs (`watch` after a one-chapter edit).

An entry is found by the part's whole HTML and the build's settings (part_key), and used only while
every file the part fetched (its images, fonts, stylesheets: Laid.resources) has the content it had,
and every face it left for the merge is intact: an image or a font replaced under the same name, or
another book at the same path, is laid out again. Entries are JSON and raw PDF bytes (core/cache.py:
checked by a digest, never code); a part that fetched something remote is not kept.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

from bookmaker.core.cache import drop, entry_path, read_cached, write_cached
from bookmaker.core.diagnostics import Diagnostic, Diagnostics, Severity
from bookmaker.writers.pdf.notes.cuts import NotesLayout
from bookmaker.writers.pdf.parts.jobs import Job, Laid

_KIND = "pdf-parts"


def part_key(job: Job, state: dict) -> str:
    """What a part's layout depends on beyond the files it fetches: its whole HTML (text, CSS, numbers,
    where it starts), the fonts installed, WeasyPrint's version and the build's own settings."""
    import weasyprint

    from bookmaker.writers.fonts import _fontconfig_stamp

    digest = hashlib.sha256(job.html.encode("utf-8", "surrogatepass"))
    digest.update(repr((job.pad, job.first_id, weasyprint.__version__, "keep-words-together", "prepared, links described, ids named, collections typed", _fontconfig_stamp(),
                        state["base_url"], sorted(state["reported"]), sorted(state.get("write_options", {}).items()))).encode())
    if job.notes:  # what it reports of its notes: their page tops, and whether its probe begins a page
        digest.update(repr(("notes", job.probe, job.continued)).encode())
    return digest.hexdigest()


def from_cache(job: Job, state: dict) -> Laid | None:
    """The part an earlier build laid out from the same HTML and the same files, or None."""
    key = part_key(job, state).encode()
    data = read_cached(_KIND, key)
    if data is None:
        return None
    try:
        laid = decode(data)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError):
        drop(entry_path(_KIND, key))  # a digest that matches a payload bookmaker did not write
        return None
    faces = state.setdefault("faces", {})  # each face file read once however many parts use it
    if not _same_files(laid.resources, state["policy"], state.setdefault("digests", {})) or not all(
            _intact_face(Path(job.font_dir), face["sha"], faces) for face in laid.fonts.values()):
        return None
    laid.index = job.index
    return laid


def to_cache(job: Job, state: dict, laid: Laid) -> None:
    if any(not digest for digest in laid.resources.values()):
        return  # it fetched from the network: what it got may change without a trace
    try:
        data = encode(laid)
    except (TypeError, ValueError, RecursionError):
        return  # something JSON cannot hold: the part is laid out again next time, never written wrong
    write_cached(_KIND, part_key(job, state).encode(), data)


def _same_files(resources: dict[str, str], policy, known: dict[str, str]) -> bool:
    """Whether each file has the content it had (read through the book's policy: the names come from the
    cache); `known`: the digests this build has read, each file read once however many parts use it."""
    from bookmaker.safety.policy import Refused

    for name, digest in resources.items():
        if name not in known:
            try:
                known[name] = hashlib.sha256(policy.read_local(Path(name))).hexdigest()
            except (Refused, OSError, ValueError):
                known[name] = ""
        if known[name] != digest:
            return False
    return True


def _intact_face(font_dir: Path, sha: str, known: dict[Path, bool]) -> bool:
    """A face the merge will embed, kept under its digest: a regular file whose content is that digest;
    `known`: the faces this build has checked."""
    path = font_dir / sha
    if path not in known:
        known[path] = _checked_face(path, sha)
    return known[path]


def _checked_face(path: Path, sha: str) -> bool:
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or len(sha) != 64:
            return False
        if hashlib.sha256(path.read_bytes()).hexdigest() == sha:
            return True
    except (OSError, ValueError):
        return False
    drop(path)
    return False


def encode(laid: Laid) -> bytes:
    """A laid-out part as JSON followed by its PDFs' bytes."""
    blobs = [laid.pdf, *(pdf for pdf, _, _ in laid.more)]
    notes = laid.notes
    meta = {
        "index": laid.index, "pages": laid.pages, "anchors": laid.anchors, "bookmarks": laid.bookmarks,
        "fonts": laid.fonts, "pad_holds_content": laid.pad_holds_content, "blank_first": laid.blank_first,
        "seconds": laid.seconds, "start": laid.start, "abandoned": laid.abandoned, "chain_failed": laid.chain_failed,
        "resources": laid.resources, "starts": laid.starts, "more": [[pages, marks] for _, pages, marks in laid.more],
        "diagnostics": [[d.path, d.line, d.column, d.severity.value, d.message, d.code] for d in laid.diagnostics],
        "notes": None if notes is None else {
            "tops": notes.tops, "top_y": notes.top_y, "probe_page": notes.probe_page, "probe_y": notes.probe_y,
            "probe_strings": notes.probe_strings, "first_y": notes.first_y, "first_ok": notes.first_ok},
        "blobs": [len(blob) for blob in blobs],
    }
    head = json.dumps(meta, separators=(",", ":"), default=_plain).encode()
    return b"%d\n" % len(head) + head + b"".join(blobs)


def _plain(value):
    """A set (a chain's glyph ids) as the sorted list it stands for."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not kept in the cache")


def decode(data: bytes) -> Laid:
    """What `encode` wrote, every field checked for its type; ValueError (or a lookup error) otherwise."""
    size, _, rest = data.partition(b"\n")
    meta = json.loads(rest[: int(size)])
    offset, blobs = int(size), []
    for length in _list(meta["blobs"], int):
        blobs.append(rest[offset : offset + length])
        offset += length
    if offset != len(rest) or not blobs:
        raise ValueError("the PDFs' lengths do not add up")
    diagnostics = Diagnostics()
    for path, line, column, severity, message, code in _list(meta["diagnostics"], list):
        diagnostics.add(Diagnostic(_typed(path, str), _optional(line, int), _optional(column, int), Severity(severity),
                                   _typed(message, str), _typed(code, str)))
    more = [(blob, _typed(pages, int), _bookmarks(marks)) for blob, (pages, marks) in
            zip(blobs[1:], _list(meta["more"], list), strict=True)]
    notes = meta["notes"]
    return Laid(
        _typed(meta["index"], int), blobs[0], _typed(meta["pages"], int), _mapping(meta["anchors"], int),
        _bookmarks(meta["bookmarks"]), _fonts(meta["fonts"]), diagnostics, _typed(meta["pad_holds_content"], bool),
        _typed(meta["blank_first"], bool), float(meta["seconds"]), _typed(meta["start"], int),
        abandoned=_typed(meta["abandoned"], bool), notes=None if notes is None else _notes(notes), more=more,
        chain_failed=_typed(meta["chain_failed"], bool), resources=_mapping(meta["resources"], str),
        starts=_list(meta["starts"], str))


def _typed(value, kind: type):
    if type(value) is not kind and not (kind is float and type(value) is int):
        raise ValueError(f"{value!r} is not {kind.__name__}")
    return value


def _optional(value, kind: type):
    return None if value is None else _typed(value, kind)


def _list(value, kind: type) -> list:
    return [_typed(item, kind) for item in _typed(value, list)]


def _mapping(value, kind: type) -> dict:
    return {_typed(k, str): _typed(v, kind) for k, v in _typed(value, dict).items()}


def _bookmarks(value) -> list[tuple[int, str, str]]:
    return [(_typed(level, int), _typed(label, str), _typed(state, str)) for level, label, state in _list(value, list)]


def _fonts(value) -> dict[str, dict]:
    fonts = {}
    for name, face in _typed(value, dict).items():
        fonts[_typed(name, str)] = {"sha": _typed(face["sha"], str), "index": _typed(face["index"], int),
                                    "gids": _list(face["gids"], int), "missing": _typed(face["missing"], bool),
                                    "otf": _typed(face["otf"], bool)}
    return fonts


def _notes(value: dict) -> NotesLayout:
    return NotesLayout(
        tops=[(_typed(token, str), _typed(page, int), _mapping(strings, str)) for token, page, strings in
              _list(value["tops"], list)],
        top_y={k: float(_typed(v, float)) for k, v in _typed(value["top_y"], dict).items()},
        probe_page=_optional(value["probe_page"], int), probe_y=_optional(value["probe_y"], float),
        probe_strings=_mapping(value["probe_strings"], str), first_y=_optional(value["first_y"], float),
        first_ok=_typed(value["first_ok"], bool))

