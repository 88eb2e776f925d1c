"""The paperback cover: its wrap (wrap.py), content from the book (content.py), barcode (barcode.py), files (write.py)."""
