"""What is known of each part's length, to place the parts after it, and the page map the parts make."""

from __future__ import annotations

from bookmaker.writers.pdf.parts.jobs import Laid
from bookmaker.writers.pdf.parts.split import Part


class Sizes:
    """What is known of each part's length, to place the parts after it.

    A part's text pages do not depend on where it starts (both sides of a
    spread have the same text width); only a blank page before it does, when
    it must start on one side (duplex) and the page after the previous part is
    on the other. Which side it wants is learnt from its layouts.
    """

    def __init__(self, rtl: bool, duplex: bool) -> None:
        self.rtl = rtl
        self.duplex = duplex  # printed on both sides: a part that needed no blank page after one side
                              # probably wants the other (chapters on right-hand pages)
        self.content: dict[int, int] = {}  # part -> pages without a leading blank page
        self.wants: dict[int, bool] = {}  # part -> starts on a right-hand page (True) or a left-hand one
        self.free_after: dict[int, set[bool]] = {}  # part -> pad sides after which it needed no blank page

    def right(self, page: int) -> bool:
        return (page % 2 == 1) != self.rtl

    def learn(self, index: int, start: int, laid: Laid) -> None:
        self.content[index] = laid.pages - laid.blank_first
        if index == 0:
            return
        pad_right = self.right(start)
        if laid.blank_first:
            self.wants[index] = pad_right  # pad, blank, then a page on the pad's side
        else:
            self.free_after.setdefault(index, set()).add(pad_right)

    def pages(self, index: int, start: int) -> int:
        pad_right = self.right(start)
        if index in self.wants:
            blank = self.wants[index] == pad_right
        else:
            free = self.free_after.get(index, set())
            blank = self.duplex and len(free) == 1 and pad_right not in free
        return self.content.get(index, 1) + blank

    def starts(self, count: int) -> list[int]:
        """The book page each part's pad stands for: the last page of the part before (0 for the front)."""
        starts = [0]
        for i in range(1, count):
            starts.append(starts[-1] + self.pages(i - 1, starts[-1]))
        return starts


def page_map(parts: list[Part], laid: dict[int, Laid], starts: list[int]) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for i, part in enumerate(parts):
        if i not in laid:
            continue  # not laid out yet (the notes of a first build)
        first = starts[i] + 1
        for anchor, index in laid[i].anchors.items():
            if anchor in part.owned and index >= 0:
                numbers.setdefault(anchor, first + index)
    return numbers
