"""The errors core raises for people to read, and the coded texts they are made of.

Each carries a ``code`` (a key of :data:`core.messages.MESSAGES`) and its ``params``; :meth:`Coded.render`
fills the code's template in Simplified Chinese (the default) or English, so the screens and the command
line show a refusal in their reader's language. ``str()`` is the Chinese text, so logs, reject reasons
and tests read what they always did. Each message says what is wrong and what to do.

In a template, ``{field:spec}`` formats a parameter: a nested coded text or error renders in the same
language; a spec naming a table of :data:`core.messages.LABELS` (``{stage:stage}``) shows a code's label;
a spec ending in a name of :data:`core.messages.SEPARATORS` joins a list with it (``{roles:party or}``: each
item a label, joined by "or"); any other spec is Python's (``{score:g}``). Lists are joined with 「、」 in
Chinese and 「, 」 in English unless a separator says otherwise.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from typing import Any

from core.messages import LABELS, MESSAGES, SEPARATORS

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"


def render(code: str, params: Mapping[str, Any] | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The message ``code`` in ``lang`` (``en``, else Chinese) with ``params`` filled in; KeyError for an
    unknown code (every code is a key of the catalog, as a test checks). An English text starts with a
    capital even when it starts with a field's name."""
    text = _fill(code, params or {}, lang)
    return text[:1].upper() + text[1:] if lang == "en" else text


def _fill(code: str, params: Mapping[str, Any], lang: str) -> str:
    zh, en = MESSAGES[code]
    return _Formatter(lang).vformat(en if lang == "en" else zh, (), params)


def label(table: str, code: object, lang: str = DEFAULT_LANGUAGE) -> str:
    """The label of ``code`` in the vocabulary ``table`` of :data:`core.messages.LABELS`; the code itself
    when the table does not know it."""
    pair = LABELS[table].get(code)  # type: ignore[call-overload]
    if pair is None:
        return str(code)
    return pair[1] if lang == "en" else pair[0]


class _Formatter(string.Formatter):
    """str.format with the catalog's specs: nested coded texts, vocabulary labels, list separators."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Coded):
            return _fill(value.code, value.params, self.lang)
        if isinstance(value, list | tuple):
            # "party or": each item as a label of "party", joined by the separator "or"
            item_spec, _, joiner = format_spec.rpartition(" ")
            if joiner not in SEPARATORS:
                item_spec, joiner = format_spec, ""
            zh_sep, en_sep = SEPARATORS[joiner]
            return (en_sep if self.lang == "en" else zh_sep).join(self.format_field(v, item_spec) for v in value)
        if format_spec in LABELS:
            return label(format_spec, value, self.lang)
        return format(value, format_spec)


class Coded:
    """A text with a code and parameters, rendered in the reader's language; ``str()`` is the Chinese."""

    code: str
    params: dict[str, Any]

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code, self.params = code, params
        super().__init__(self.render())  # the exception's args: its Chinese text, for logs and tracebacks

    def render(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """This text in ``lang`` (``zh-CN`` or ``en``)."""
        return render(self.code, self.params, lang)

    def __str__(self) -> str:
        return self.render()

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.code, self.params)


def _restore(cls: type[Coded], code: str, params: dict[str, Any]) -> Coded:
    return cls(code, **params)


class Text(Coded, str):
    """A coded sentence or phrase that is not raised: one problem in a list that validation returns, or
    the name of a field inside another message. It is the ``str`` of its Chinese text, so joining,
    comparing and matching it work as they did on the plain sentence."""

    def __new__(cls, code: str, /, **params: Any) -> Text:
        text = super().__new__(cls, render(code, params))
        text.code, text.params = code, params
        return text

    def __init__(self, code: str, /, **params: Any) -> None:
        pass  # __new__ set everything; str takes no initialiser


class CoreError(Coded, ValueError):
    """A request core cannot carry out; nothing was written. ``CoreError("kpi.unknown", kpi=…)``."""


class CycleError(CoreError):
    """A cycle operation that cannot be done."""


class Conflict(CycleError):
    """The appraisal changed since the caller read it (optimistic ``row_version``); nothing was written."""


class KpiError(CoreError):
    """A KPI, template or change request that cannot be accepted (``kpi.problems`` names several)."""


def render_error(err: BaseException | Coded, lang: str = DEFAULT_LANGUAGE) -> str:
    """What to show for ``err``: a coded error or text in ``lang``, any other exception as its ``str``."""
    return err.render(lang) if isinstance(err, Coded) else str(err)


def cli_language() -> str:
    """The language of the command lines' messages: ``JIXIAO_LANG`` (``zh-CN`` by default, or ``en``)."""
    chosen = os.environ.get("JIXIAO_LANG", DEFAULT_LANGUAGE).strip().lower()
    return "en" if chosen.startswith("en") else DEFAULT_LANGUAGE
