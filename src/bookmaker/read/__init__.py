"""Reading a book: manuscript files -> the document model (model.py), every check made on the way.

`read_book` (book.py) runs the passes; each concern has its module: files.py (files, metadata,
settings, cover), chapter.py (the two passes over one chapter), headings.py, attributes.py (ids,
lang, dir), links.py, notes.py, boxes.py, blocks.py (figures, tables, placeholders), rendering.py
(tokens to XHTML, raw HTML sanitized), assets.py (images), index_marks.py, math.py,
bibliography.py (citations), structure.py (boxes misplaced, nesting limits); state.py holds the
book-wide state and the per-chapter context they share.
"""

from bookmaker.read.book import ChapterProgress, read_book

__all__ = ["ChapterProgress", "read_book"]
