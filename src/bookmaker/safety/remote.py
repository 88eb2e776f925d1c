"""The HTTP client for --allow-remote: http and https only, redirects included."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    # urllib follows redirects to ftp: as well; a remote server must not send us anywhere but http(s).
    def __init__(self, schemes: tuple[str, ...]) -> None:
        super().__init__()
        self.schemes = schemes

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in self.schemes:
            raise urllib.error.URLError(f"redirect to a non-http URL refused: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener(schemes: tuple[str, ...]) -> urllib.request.OpenerDirector:
    """An opener that speaks http and https only (no file:, ftp: or data: handlers) and follows
    redirects only to `schemes` (policy.REMOTE_SCHEMES: the policy decides, this module fetches)."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(), _HttpOnlyRedirects(schemes),
                    urllib.request.HTTPErrorProcessor(), urllib.request.HTTPDefaultErrorHandler()):
        opener.add_handler(handler)
    opener.addheaders = [("User-Agent", "bookmaker")]
    return opener
