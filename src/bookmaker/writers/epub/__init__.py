"""The EPUB 3 (and Kobo's KEPUB) with ebooklib."""
