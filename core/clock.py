"""The time core stamps on what it writes: local wall-clock time to the second, without a time zone."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """This moment, to the second."""
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    """Today's date."""
    return dt.date.today()
