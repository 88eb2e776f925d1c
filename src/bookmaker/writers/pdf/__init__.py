"""The PDF: WeasyPrint, laid out in parts in parallel and merged with pikepdf."""
