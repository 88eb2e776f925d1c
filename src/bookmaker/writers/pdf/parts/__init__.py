"""The PDF laid out in parts by a process pool."""
