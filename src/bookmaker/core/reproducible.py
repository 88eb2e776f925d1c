"""SOURCE_DATE_EPOCH (reproducible-builds.org): the time every output says it was made, read in one place."""

from __future__ import annotations

import datetime
import os


def source_date() -> datetime.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, or None when it is unset or no time (`soon`, `²`, a year past 9999)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not (epoch.isascii() and epoch.isdigit()):
        return None
    try:
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
