"""One module per syntax rule bookmaker adds to markdown-it-py (as markdown-it-py's own rules_block/ and rules_core/)."""
