"""A book's settings: bookmaker.toml, front matter, the chapter files, paper sizes."""
