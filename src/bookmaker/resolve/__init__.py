"""Book-wide passes once every chapter is parsed: citations, cross-references, the index."""
