"""A part paginated before its page numbers are known: its pages collected, its page counters moved."""

from __future__ import annotations

from collections.abc import Callable


class paginated:
    """While a document is laid out, collect its pages, and call `on_paginated(pages, context)` once
    it is paginated, before its first margin box is made (margin boxes are the only part of a page
    that depends on its number)."""

    def __init__(self, on_paginated: Callable[[list, object], None]) -> None:
        self.on_paginated = on_paginated
        self.pages: list = []
        self.asked = False

    def __enter__(self) -> paginated:
        import weasyprint.layout as layout

        self.layout = layout
        self.real_pages, self.real_margins = layout.make_all_pages, layout.make_margin_boxes

        def make_all_pages(*args, **kwargs):
            self.pages = []
            for page in self.real_pages(*args, **kwargs):
                self.pages.append(page)
                yield page

        def make_margin_boxes(context, page, state):
            if not self.asked:
                self.asked = True
                self.on_paginated(self.pages, context)
            return self.real_margins(context, page, state)

        layout.make_all_pages, layout.make_margin_boxes = make_all_pages, make_margin_boxes
        return self

    def __exit__(self, *exc) -> None:
        self.layout.make_all_pages, self.layout.make_margin_boxes = self.real_pages, self.real_margins


def shift_page_numbers(context, delta: int) -> None:
    """Move every page's `page` counter by `delta` (the margin boxes are made from these counters)."""
    seen = set()
    for entry in context.page_maker:
        counters = entry[3][1]
        if id(counters) in seen or "page" not in counters:
            continue
        seen.add(id(counters))
        counters["page"] = [value + delta for value in counters["page"]]
