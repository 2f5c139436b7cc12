"""The copywriters' strings: nested YAML keys flattened to `a.b.c`, `{placeholders}`, Telegram HTML."""

from __future__ import annotations

import html
import string
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from engine.source import Mapping, Problem

MAX_MESSAGE_LENGTH = 4096
# The tags Telegram accepts with parse_mode=HTML.
TELEGRAM_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "blockquote",
        "br",
    }
)


@dataclass(frozen=True)
class Text:
    key: str
    template: str
    file: str
    line: int
    placeholders: frozenset[str]


@dataclass(frozen=True)
class Fragment:
    """A placeholder value that is itself a text of texts.ru.yaml: rendered, not escaped."""

    key: str
    values: dict[str, Any]

    @classmethod
    def of(cls, key: str, **values: Any) -> Fragment:
        return cls(key, values)


def placeholders_of(template: str) -> frozenset[str]:
    """The `{names}` a template uses; raises ValueError on a stray brace."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


class Texts:
    """All strings by flat key."""

    def __init__(self, texts: dict[str, Text]) -> None:
        self._texts = texts

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def __getitem__(self, key: str) -> Text:
        return self._texts[key]

    def render(self, key: str, values: dict[str, Any] | None = None, *, html_mode: bool = True) -> str:
        """The text with its placeholders filled; every value is HTML-escaped first.

        A `Fragment` value is rendered as its own text; a list of them is joined line by line.
        With `html_mode=False` (button labels, pop-ups: Telegram shows them as plain text) nothing is escaped.
        """
        template = self._texts[key].template
        if not values:
            return template
        return template.format_map({name: self._value(value, html_mode) for name, value in values.items()})

    def _value(self, value: Any, html_mode: bool) -> str:
        if isinstance(value, Fragment):
            return self.render(value.key, value.values, html_mode=html_mode)
        if isinstance(value, list):
            return "\n".join(self._value(item, html_mode) for item in value)
        return html.escape(str(value), quote=False) if html_mode else str(value)

    @classmethod
    def load(cls, tree: Any, file: str, problems: list[Problem]) -> Texts:
        texts: dict[str, Text] = {}
        if not isinstance(tree, Mapping):
            problems.append(Problem(file, 1, "expected keys with texts at the top level"))
            return cls(texts)
        _flatten(tree, "", texts, problems)
        return cls(texts)


def _flatten(node: Mapping, prefix: str, out: dict[str, Text], problems: list[Problem]) -> None:
    for key, value in node.items():
        full, line = f"{prefix}{key}", node.line_of(key)
        if isinstance(value, Mapping):
            _flatten(value, f"{full}.", out, problems)
            continue
        if not isinstance(value, str):
            problems.append(Problem(node.file, line, f"text '{full}' must be a string, not {_kind(value)}"))
            continue
        try:
            names = placeholders_of(value)
        except ValueError as err:
            problems.append(Problem(node.file, line, f"text '{full}': {err} (write {{{{ and }}}} for a literal brace)"))
            continue
        bad = sorted(n for n in names if not n.isidentifier())
        if bad:
            problems.append(Problem(node.file, line, f"text '{full}': placeholder {{{bad[0]}}} is not a plain name"))
            continue
        if len(value) > MAX_MESSAGE_LENGTH:
            problems.append(
                Problem(
                    node.file, line, f"text '{full}' is {len(value)} characters; Telegram allows {MAX_MESSAGE_LENGTH}"
                )
            )
        html_problem = _html_problem(value)
        if html_problem:
            problems.append(Problem(node.file, line, f"text '{full}': {html_problem}"))
        out[full] = Text(full, value, node.file, line, names)


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else "empty" if value is None else type(value).__name__


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problem = self.problem or f"Telegram does not know the tag <{tag}>"
        elif tag != "br":
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problem = self.problem or f"</{tag}> closes a tag that is not open"
        else:
            self.open.pop()


def _html_problem(template: str) -> str | None:
    if "<" not in template:
        return None
    checker = _TagChecker()
    checker.feed(template)
    checker.close()
    if checker.problem:
        return checker.problem
    if checker.open:
        return f"<{checker.open[-1]}> is never closed"
    return None
