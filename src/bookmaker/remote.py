"""The HTTP client for --allow-remote: http and https only, redirects included."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from bookmaker.policy import REMOTE_SCHEMES


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    # urllib follows redirects to ftp: as well; a remote server must not send us anywhere but http(s).
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme.lower() not in REMOTE_SCHEMES:
            raise urllib.error.URLError(f"redirect to a non-http URL refused: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener() -> urllib.request.OpenerDirector:
    """An opener that speaks http and https only: no file:, ftp: or data: handlers."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(), _HttpOnlyRedirects(),
                    urllib.request.HTTPErrorProcessor(), urllib.request.HTTPDefaultErrorHandler()):
        opener.add_handler(handler)
    opener.addheaders = [("User-Agent", "bookmaker")]
    return opener
