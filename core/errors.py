"""The errors core raises for people to read. Each says what is wrong and what to do."""

from __future__ import annotations


class CoreError(ValueError):
    """A request core cannot carry out; nothing was written."""


class CycleError(CoreError):
    """A cycle operation that cannot be done; the message says, in Chinese, what is wrong and what to do."""


class Conflict(CycleError):
    """The appraisal changed since the caller read it (optimistic ``row_version``); nothing was written."""


class KpiError(CoreError):
    """A KPI, template or change request that cannot be accepted; the message says, in Chinese, what is
    wrong and what to do."""
