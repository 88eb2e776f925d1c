"""The files an EPUB carries besides its documents: the book's images, and the fonts and images
its stylesheets name, under names every reading system accepts, with the one stylesheet of the
package pointing at them.

Inside the package a file's name is a URL path: `with space.png` draws a warning from EPUBCheck and
`a#b.png` cannot be named at all, so each file gets a name of letters, digits, `-`, `_` and `.`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from bookmaker.safety.css_urls import stylesheet_text
from bookmaker.safety.policy import ResourcePolicy

_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]")


def package_names(sources: list[str], taken: set[str]) -> dict[str, str]:
    """A name inside the package for each book-relative file name, unique and URL-safe."""
    names: dict[str, str] = {}
    used = set(taken)
    for source in sources:
        if source in names:
            continue
        safe = _UNSAFE.sub("_", source).lstrip("/") or "file"
        stem, suffix = os.path.splitext(safe)
        candidate, n = safe, 1
        while candidate.lower() in used:
            n += 1
            candidate = f"{stem}-{n}{suffix}"
        used.add(candidate.lower())
        names[source] = candidate
    return names


_COLOR_PROFILE = re.compile(r"@color-profile\b[^{;]*\{[^}]*\}", re.IGNORECASE)


def package_css(paths: list[Path], book_root: Path, policy: ResourcePolicy, names: dict[str, str],
                stylesheet: str) -> str:
    """The cascade `paths` as the one stylesheet `stylesheet` of the package, each `url()` of the book's
    own stylesheets pointing at the packaged copy."""
    folder = PurePosixPath(stylesheet).parent.as_posix()

    def packaged(resource: Path) -> str | None:
        name = names.get(resource.relative_to(book_root).as_posix())
        return os.path.relpath(name, folder) if name is not None else None

    css = "\n".join(stylesheet_text(path, book_root, policy, packaged) for path in paths)
    # @color-profile is for print (device-cmyk()); its ICC profile is not packaged (EPUBCheck refuses one).
    return _COLOR_PROFILE.sub("", css)


def book_relative(resource_url: str) -> str:
    """The book-relative name in a `bookmaker-resource:` URL, which is percent-encoded."""
    return unquote(resource_url)
