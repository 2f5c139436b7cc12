"""What the product's YAML says, as frozen values: screens, buttons, commands, flows."""

from __future__ import annotations

from dataclasses import dataclass

from engine.texts import Texts

# Triggers fired by a message rather than a button; a flow uses them to accept input.
MESSAGE_TRIGGERS = ("message.text", "message.photo", "message.document", "message.payment", "message.other")
COMMAND_PREFIX = "command."
GO_PREFIX = "go:"
FLOW_PREFIX = "flow:"
PAYLOAD_SEPARATOR = "|"
MAX_CALLBACK_BYTES = 64
MAX_BUTTONS_IN_ROW = 8


@dataclass(frozen=True)
class Where:
    file: str
    line: int


@dataclass(frozen=True)
class Target:
    """Where a button or command leads: a screen, a flow's first state, or a flow trigger."""

    go: str | None = None
    flow: str | None = None
    trigger: str | None = None
    payload: str | None = None

    @property
    def trigger_name(self) -> str:
        if self.go is not None:
            return GO_PREFIX + self.go
        if self.flow is not None:
            return FLOW_PREFIX + self.flow
        return self.trigger or ""


@dataclass(frozen=True)
class Button:
    label: str  # text key
    target: Target | None
    url: str | None
    where: Where

    @property
    def callback_data(self) -> str | None:
        if self.target is None:
            return None
        name = self.target.trigger_name
        return name if self.target.payload is None else f"{name}{PAYLOAD_SEPARATOR}{self.target.payload}"


@dataclass(frozen=True)
class ButtonRows:
    """`{each: name}` in a screen's rows: rows of buttons a registered function builds per update."""

    source: str
    where: Where


@dataclass(frozen=True)
class Screen:
    name: str
    text: str  # text key
    layout: tuple[tuple[Button, ...] | ButtonRows, ...]  # rows in order, static or built per update
    data: tuple[str, ...]  # names of registered screen-data functions
    where: Where  # the screen's name
    text_where: Where  # its `text:` line

    @property
    def rows(self) -> tuple[tuple[Button, ...], ...]:
        """The rows written out in YAML."""
        return tuple(row for row in self.layout if not isinstance(row, ButtonRows))

    @property
    def button_sources(self) -> tuple[ButtonRows, ...]:
        return tuple(row for row in self.layout if isinstance(row, ButtonRows))


@dataclass(frozen=True)
class Command:
    name: str
    target: Target
    description: str  # text key
    where: Where
    before: tuple[str, ...] = ()  # actions run first (for /start: before the reset)
    only_if: tuple[str, ...] = ()  # guards: when one says no, the command does not exist for this user
    hidden: bool = False  # not in the command list Telegram shows


@dataclass(frozen=True)
class FlowState:
    name: str  # qualified: flow.state
    screen: str
    on_enter: tuple[str, ...]
    on_exit: tuple[str, ...]
    where: Where


@dataclass(frozen=True)
class FlowTransition:
    trigger: str
    source: tuple[str, ...]  # qualified names, or ("*",)
    dest: str | None  # qualified; None keeps the state (an internal transition)
    conditions: tuple[str, ...]
    unless: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    where: Where
    prepare: tuple[str, ...] = ()  # run before the conditions are checked (transitions' `prepare`)
    key_lines: tuple[tuple[str, int], ...] = ()  # the line of each key, for precise problems

    def at(self, key: str) -> Where:
        """Where `key` of this transition is written (the transition's first line if absent)."""
        return Where(self.where.file, dict(self.key_lines).get(key, self.where.line))


@dataclass(frozen=True)
class Flow:
    name: str
    initial: str  # qualified
    states: tuple[FlowState, ...]
    transitions: tuple[FlowTransition, ...]
    where: Where


@dataclass(frozen=True)
class Product:
    start: str  # the screen /start shows
    start_where: Where
    screens: dict[str, Screen]
    commands: dict[str, Command]
    flows: dict[str, Flow]
    texts: Texts
