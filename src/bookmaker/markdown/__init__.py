"""The Markdown dialect: the markdown-it-py parser and its rules (one module per syntax rule)."""
