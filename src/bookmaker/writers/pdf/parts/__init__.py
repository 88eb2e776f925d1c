"""The PDF laid out in parts on several cores, and merged into one book.

Chapters start on a new page, so each is a layout job of its own: the front
matter (title page, imprint, contents), each chapter, the notes and the
index are laid out by WeasyPrint in a pool of worker processes, each part a
document of its own, and merged with pikepdf (merge.py). What a naive
split would lose is put back:

- Page numbers and parity: a part begins with one "pad" page standing for the
  previous part's last page (its number via `counter-reset`, its side via the
  root's `break-before`), so the part's own first break (a new page, a
  right-hand page with a blank one before it) happens as in the whole book;
  the pad page is dropped at merge.
- The book title of the running heads (`string-set` on the title page) is set
  on the part's root.
- Links to other parts: the part gets an empty, out-of-flow anchor for each
  id it links to and does not hold, so WeasyPrint keeps the link; at merge
  the named destinations come from the part that holds each id.
- The outline is rebuilt from WeasyPrint's own bookmark levels; /Info, /Lang
  and the catalog come from the front part.
- Fonts: the parts do not subset their fonts; each face is subset once at
  merge, for the glyphs all parts use (retained glyph ids, as WeasyPrint
  does), so the book carries one copy of each face, and one font dictionary
  (widths and Unicode map joined).
- The TOC's numbers, the notes' "p. N" and the index's locators are written
  in from a page map (pagemap.py): the last build's, else the pages of the
  parts laid out so far. On a first build a part's start is a guess fixed
  after pagination (worker.renumbered: only the margin boxes depend on it), and the
  notes and index are laid out beside the chapters, each asking the numbers it
  shows as the chapters are laid out (desk.py), so each part is laid out once
  (the front matter twice: its contents' numbers). Parts are laid out again
  until every part's first page number, side and numbers written in agree
  with the merged book.
- The notes, which have no forced breaks, are cut where the last build found
  a note at the top of a page, into parts of about sixteen pages, each checked
  against the part before it (notes/cuts.py). A first build, which knows
  no such place, lays them out in pieces one after another in one process
  (notes/chain.py), each piece ending before the last note that began a page
  in it; those pages are where the next build cuts. A piece laid out before
  the notes' start is known waits for it in a child process (apart.py).

Books this cannot split exactly go the single-document way (write_pdf):
PDF/A, PDF/UA and PDF/X variants, the article layout, notes at the foot of
the page, and books whose CSS renumbers pages, uses `@page :first`, or steps
counters of its own.
The modules: split.py (the HTML cut into parts), jobs.py (a part's layout job and its result), worker.py
(what a worker process does), waves.py (the parent: waves of layout until the numbers settle), desk.py (the
numbers a part laid out beside the chapters asks for), run.py (one
build in parts), sizes.py (each part's length, to place the parts after it), cache.py (parts laid out
before); WeasyPrint's internals are reached only through ../patches/.
"""
