"""The markup both outputs share: prose in XHTML, highlighted code, TeX math."""
