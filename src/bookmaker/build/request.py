"""What a command asks of a build, as one value: `build`, `pdf`/`epub`/`html`, `watch` and `serve` each make one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class BuildRequest:
    formats: tuple[str, ...] = ()  # empty: bookmaker.toml's [output] formats, or the default ones
    extra_formats: tuple[str, ...] = ()  # added to the wanted or configured ones (`build --kepub`)
    output_dir: Path | None = None  # -o of `build`: the folder for every output
    # A format's own file (`bookmaker pdf -o x.pdf`, or - for standard output): always written, not remembered.
    targets: Mapping[str, Path | None] = field(default_factory=dict)
    force: bool = False  # rebuild even what is up to date
    # Command-line settings over bookmaker.toml, by section: {"pdf": {"paper": ...}, "epub": {...}}; None: not given.
    overrides: Mapping[str, Mapping] = field(default_factory=dict)
    note_numbering: str | None = None  # None: [notes] numbering of bookmaker.toml
    strict: bool = False  # every warning fails the run (decided at its end, by the command line)
    allow_remote: bool = False
    jobs: int | None = None  # processes laying out the PDF's parts; None: the builder's own
    ignore: frozenset[str] = frozenset()  # codes of warnings silenced (--ignore, [diagnostics] ignore)

    def __post_init__(self) -> None:
        # Frozen all the way down: a request is shared by every rebuild of `watch`.
        object.__setattr__(self, "formats", tuple(self.formats))
        object.__setattr__(self, "ignore", frozenset(self.ignore))
        object.__setattr__(self, "extra_formats", tuple(self.extra_formats))
        object.__setattr__(self, "targets", _frozen(self.targets))
        object.__setattr__(self, "overrides", MappingProxyType({k: _frozen(v) for k, v in self.overrides.items()}))

    def fails(self, diagnostics) -> bool:
        """Does the run fail with these diagnostics? Under --strict, any warning fails it."""
        return diagnostics.has_errors or (self.strict and len(diagnostics.without(self.ignore)) > 0)
