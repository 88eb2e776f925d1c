"""The notes of a book cut into parts at page tops."""
