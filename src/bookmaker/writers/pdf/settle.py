"""The one loop of page numbers that depend on the layout: lay out with the numbers known, read the numbers the
layout gives, and lay out again until they are the numbers it was given.

Used three times: the book in parts (writer.PdfBuild.in_parts: the notes' same-page marks after each build in
parts), numbers written in from the last build's page map (numbers.lay_out_numbered), and the index's page
numbers (writer.PdfBuild: the index is laid out after its marks, so writing its numbers in moves no mark).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Result = TypeVar("Result")
Numbers = TypeVar("Numbers")


class Settled(Generic[Result, Numbers]):
    """What settle() found: the last layout, the numbers it gave, and whether they were the numbers it was given."""

    def __init__(self, result: Result | None, numbers: Numbers, agreed: bool) -> None:
        self.result, self.numbers, self.agreed = result, numbers, agreed


def settle(lay_out: Callable[[Numbers], tuple[Result, Numbers]], numbers: Numbers, rounds: int,
           agree: Callable[[Numbers, Numbers], bool] = lambda given, found: given == found) -> Settled:
    """Lay out with `numbers` written in, at most `rounds` times, each time with the numbers the last layout
    found, until a layout finds the numbers it was given (`agree(given, found)`)."""
    result = None
    for _ in range(rounds):
        result, found = lay_out(numbers)
        if agree(numbers, found):
            return Settled(result, found, True)
        numbers = found
    return Settled(result, numbers, False)
