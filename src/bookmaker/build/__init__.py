"""Building a book: the pipeline, the skip check, watch, serve, init."""
