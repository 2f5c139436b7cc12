"""Named Python callables that YAML refers to: guards (conditions), actions and screen data.

A product builds one `Registry` in its `flows` package and decorates small functions with it;
names are resolved when the product is loaded, so a typo in YAML fails lint, not a user.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from engine.source import Problem
    from engine.spec import Product
    from engine.turn import Turn

Guard = Callable[["Turn"], Awaitable[bool]]
Action = Callable[["Turn"], Awaitable[None]]
ScreenData = Callable[["Turn"], Awaitable[dict[str, Any]]]
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Key:
    """One button built at run time: a text key (with its values), and the trigger it fires."""

    text: str
    trigger: str
    payload: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


ButtonBuilder = Callable[["Turn"], Awaitable[list[list[Key]]]]
# Runs when the bot starts or stops (aiogram's startup/shutdown), with the bot and the services dict.
Hook = Callable[[Any, dict[str, Any]], Awaitable[None]]
# An extra route of the bot's webhook server: (request, services) -> response.
RouteHandler = Callable[[Any, dict[str, Any]], Awaitable[Any]]
# Reads product data beside the YAML (say, a catalog) once at start-up: (root, product) -> (value, problems).
DataLoader = Callable[[Path, "Product"], tuple[Any, list["Problem"]]]


@dataclass(frozen=True)
class DataSource:
    """A screen-data function, the placeholders it promises to fill and the texts it may embed."""

    function: ScreenData
    provides: frozenset[str]
    texts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ButtonSource:
    """A function that builds rows of buttons, the triggers they may fire and the texts they use."""

    function: ButtonBuilder
    triggers: frozenset[str]
    texts: frozenset[str]


@dataclass
class Registry:
    guards: dict[str, Guard] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    button_sources: dict[str, ButtonSource] = field(default_factory=dict)
    loaders: dict[str, DataLoader] = field(default_factory=dict)
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)
    routes: list[tuple[str, str, RouteHandler]] = field(default_factory=list)
    # (query, services) -> None to accept a payment, or the text key of the reason to refuse it.
    pre_checkout: Callable[[Any, dict[str, Any]], Awaitable[str | None]] | None = None
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

    def screen_data(self, *, provides: Iterable[str], texts: Iterable[str] = ()) -> Callable[[F], F]:
        """Register an async `(turn) -> dict` that fills the named placeholders of a screen's text.

        A value may be a `Fragment` (or a list of them): another text of texts.ru.yaml, rendered in
        place; `texts` names every key it may use, so lint can check they exist.
        """

        def register(function: F) -> F:
            source = DataSource(function, frozenset(provides), frozenset(texts))
            self._add(self.data_sources, function.__name__, source)
            return function

        return register

    def buttons(self, *, triggers: Iterable[str], texts: Iterable[str]) -> Callable[[F], F]:
        """Register an async `(turn) -> [[Key, ...], ...]` for `{each: name}` rows of a screen.

        `triggers` lists every trigger its keys may fire (`go:screen` included), `texts` every
        text key they may show: lint checks each is handled / exists where the screen is shown.
        """

        def register(function: F) -> F:
            source = ButtonSource(function, frozenset(triggers), frozenset(texts))
            self._add(self.button_sources, function.__name__, source)
            return function

        return register

    def loader(self, name: str) -> Callable[[F], F]:
        """Register `(root, product) -> (value, problems)`; the value reaches guards as `turn.services[name]`."""

        def register(function: F) -> F:
            self._add(self.loaders, name, function)
            return function

        return register

    def needs_texts(self, *keys: str) -> None:
        """Text keys product code renders outside screens (say, messages of a background task); lint checks them."""
        self.notice_keys.update(keys)

    def payment_check(self, function: F) -> F:
        """Register the answer to Telegram's pre-checkout query (there is one per product)."""
        if self.pre_checkout is not None:
            raise ValueError("a payment check is registered twice")
        self.pre_checkout = function
        return function

    def on_startup(self, function: F) -> F:
        """Register `async (bot, services)`, run when the bot starts (it may add services)."""
        self.startup.append(function)
        return function

    def on_shutdown(self, function: F) -> F:
        self.shutdown.append(function)
        return function

    def route(self, method: str, path: str) -> Callable[[F], F]:
        """Register `async (request, services) -> web.Response` on the bot's webhook server."""

        def register(function: F) -> F:
            self.routes.append((method, path, function))
            return function

        return register

    @staticmethod
    def _add(table: dict[str, Any], name: str, value: Any) -> None:
        if name in table:
            raise ValueError(f"'{name}' is registered twice")
        table[name] = value
