"""Named Python callables that YAML refers to: guards (conditions), actions and screen data.

A product builds one `Registry` in its `flows` package and decorates small functions with it;
names are resolved when the product is loaded, so a typo in YAML fails lint, not a user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from engine.turn import Turn

Guard = Callable[["Turn"], Awaitable[bool]]
Action = Callable[["Turn"], Awaitable[None]]
ScreenData = Callable[["Turn"], Awaitable[dict[str, Any]]]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class DataSource:
    """A screen-data function and the placeholders it promises to fill."""

    function: ScreenData
    provides: frozenset[str]


@dataclass
class Registry:
    guards: dict[str, Guard] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    # Text keys that actions send with `turn.notify`; lint checks they exist in texts.
    notice_keys: set[str] = field(default_factory=set)

    def guard(self, function: F) -> F:
        """Register an async `(turn) -> bool` under its own name, for `conditions` / `unless`."""
        self._add(self.guards, function.__name__, function)
        return function

    def action(self, *, notices: Iterable[str] = ()) -> Callable[[F], F]:
        """Register an async `(turn) -> None` for `before` / `after` / `on_enter` / `on_exit`."""

        def register(function: F) -> F:
            self._add(self.actions, function.__name__, function)
            self.notice_keys.update(notices)
            return function

        return register

    def screen_data(self, *, provides: Iterable[str]) -> Callable[[F], F]:
        """Register an async `(turn) -> dict` that fills the named placeholders of a screen's text."""

        def register(function: F) -> F:
            self._add(self.data_sources, function.__name__, DataSource(function, frozenset(provides)))
            return function

        return register

    @staticmethod
    def _add(table: dict[str, Any], name: str, value: Any) -> None:
        if name in table:
            raise ValueError(f"'{name}' is registered twice")
        table[name] = value
