"""Flattens a `Product` into one graph of states and transitions, and checks it as a whole.

Every screen that no flow state shows is a state of its own (named like the screen); every flow
state is `flow.state`. Buttons, commands and flow transitions all become transitions in the
vocabulary of `transitions` (trigger, source, dest, conditions, unless, before, after).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from engine.registry import Registry
from engine.source import Problem
from engine.spec import (
    COMMAND_PREFIX,
    GO_PREFIX,
    MAX_BUTTONS_IN_ROW,
    MAX_CALLBACK_BYTES,
    MESSAGE_TRIGGERS,
    Product,
    Screen,
    Target,
    Where,
)

# Texts the engine itself needs, whatever the product: answers to input it cannot use.
ENGINE_TEXTS = (
    "engine.stale_button",
    "engine.unknown_button",
    "engine.unexpected_input",
    "engine.unknown_command",
    "engine.state_reset",
    "engine.failure",
)
# Placeholders every screen may use without declaring a data source.
BUILTIN_PLACEHOLDERS = frozenset({"name"})
START_COMMAND = "start"


@dataclass(frozen=True)
class StateNode:
    name: str
    screen: Screen
    on_enter: tuple[str, ...] = ()
    on_exit: tuple[str, ...] = ()


@dataclass
class Graph:
    start: str
    states: dict[str, StateNode]
    # The dicts `transitions` takes, callbacks still named by string.
    transitions: list[dict[str, Any]]
    triggers: dict[str, frozenset[str]]  # state -> triggers valid there
    button_triggers: frozenset[str]  # triggers a callback query may name
    payload_triggers: frozenset[str]  # flow triggers whose callback data may carry `|payload`
    commands: dict[str, str]  # command name -> trigger
    command_guards: dict[str, tuple[str, ...]] = field(default_factory=dict)  # command -> its `only_if`
    reset_actions: tuple[str, ...] = ()  # what /start runs before it resets the conversation
    where: dict[str, Where] = field(default_factory=dict)  # state -> where it is declared


def build_graph(product: Product, registry: Registry) -> tuple[Graph, list[Problem]]:
    return _GraphBuilder(product, registry).build()


class _GraphBuilder:
    def __init__(self, product: Product, registry: Registry) -> None:
        self.product = product
        self.registry = registry
        self.problems: list[Problem] = []
        self.states: dict[str, StateNode] = {}
        self.where: dict[str, Where] = {}
        self.transitions: list[dict[str, Any]] = []
        self.transition_where: list[Where] = []
        self.flow_screens: dict[str, str] = {}  # screen -> flow that shows it
        self.flow_button_triggers: dict[tuple[str, str], Where] = {}  # (state, trigger) of `trigger:` buttons

    def problem(self, where: Where, message: str) -> None:
        self.problems.append(Problem(where.file, where.line, message))

    def build(self) -> tuple[Graph, list[Problem]]:
        self._check_texts()
        self._collect_states()
        self._check_screens()
        self._add_button_transitions()
        self._add_commands()
        self._add_flow_transitions()
        triggers: dict[str, set[str]] = defaultdict(set)
        for t in self.transitions:
            for source in self._sources(t["source"]):
                triggers[source].add(t["trigger"])
        self._check_reachability()
        button_triggers = frozenset(
            t["trigger"]
            for t in self.transitions
            if not t["trigger"].startswith(COMMAND_PREFIX) and t["trigger"] not in MESSAGE_TRIGGERS
        )
        graph = Graph(
            start=self.product.start,
            states=self.states,
            transitions=self.transitions,
            triggers={name: frozenset(triggers[name]) for name in self.states},
            button_triggers=button_triggers,
            payload_triggers=frozenset(trigger for _, trigger in self.flow_button_triggers),
            commands={name: COMMAND_PREFIX + name for name in self.product.commands if name != START_COMMAND},
            reset_actions=start.before if (start := self.product.commands.get(START_COMMAND)) else (),
            command_guards={name: c.only_if for name, c in self.product.commands.items() if c.only_if},
            where=self.where,
        )
        return graph, self.problems

    # -- texts -------------------------------------------------------------------------------------

    def _text_exists(self, key: str, where: Where, what: str) -> bool:
        if key not in self.product.texts:
            self.problem(where, f"{what} uses text '{key}', which is not in texts.ru.yaml")
            return False
        return True

    def _check_texts(self) -> None:
        start = self.product.start_where
        for key in ENGINE_TEXTS:
            self._text_exists(key, Where("texts.ru.yaml", 1), "the engine")
        for key in sorted(self.registry.notice_keys):
            self._text_exists(key, Where("texts.ru.yaml", 1), "a registered action")
        for name, data in sorted(self.registry.data_sources.items()):
            for key in sorted(data.texts):
                self._text_exists(key, Where("texts.ru.yaml", 1), f"data source '{name}'")
        for name, buttons in sorted(self.registry.button_sources.items()):
            for key in sorted(buttons.texts):
                self._text_exists(key, Where("texts.ru.yaml", 1), f"button source '{name}'")
        for command in self.product.commands.values():
            self._text_exists(command.description, command.where, f"command '/{command.name}'")
        if START_COMMAND not in self.product.commands:
            self.problem(start, "menus.yaml needs a 'start' command with its description (Telegram lists it)")

    # -- states ------------------------------------------------------------------------------------

    def _collect_states(self) -> None:
        screens = self.product.screens
        for flow in self.product.flows.values():
            for state in flow.states:
                if state.screen not in screens:
                    self.problem(state.where, f"state '{state.name}' shows unknown screen '{state.screen}'")
                    continue
                self.flow_screens.setdefault(state.screen, flow.name)
                self._add_state(
                    StateNode(state.name, screens[state.screen], state.on_enter, state.on_exit), state.where
                )
                for action in (*state.on_enter, *state.on_exit):
                    self._check_action(action, state.where)
            if flow.initial not in {s.name for s in flow.states}:
                self.problem(flow.where, f"flow '{flow.name}' starts at unknown state '{flow.initial}'")
        for name, screen in screens.items():
            if name not in self.flow_screens:
                self._add_state(StateNode(name, screen), screen.where)
        if self.product.start and self.product.start not in self.states:
            self.problem(self.product.start_where, f"start screen '{self.product.start}' is not a screen of menus.yaml")

    def _add_state(self, node: StateNode, where: Where) -> None:
        if node.name in self.states:
            self.problem(where, f"duplicate state '{node.name}' (also at {self.where[node.name].line})")
            return
        self.states[node.name] = node
        self.where[node.name] = where

    def _check_screens(self) -> None:
        for screen in self.product.screens.values():
            if self._text_exists(screen.text, screen.text_where, f"screen '{screen.name}'"):
                supplied = set(BUILTIN_PLACEHOLDERS)
                for source in screen.data:
                    if source not in self.registry.data_sources:
                        self.problem(screen.where, f"screen '{screen.name}': data source '{source}' is not registered")
                    else:
                        supplied |= self.registry.data_sources[source].provides
                missing = sorted(self.product.texts[screen.text].placeholders - supplied)
                if missing:
                    text = self.product.texts[screen.text]
                    self.problem(
                        Where(text.file, text.line),
                        f"text '{screen.text}' uses {{{missing[0]}}}, which screen '{screen.name}' never supplies",
                    )
            for rows in screen.button_sources:
                if rows.source not in self.registry.button_sources:
                    self.problem(
                        rows.where,
                        f"screen '{screen.name}': button source '{rows.source}' is not registered"
                        " (flows/*.py, @registry.buttons)",
                    )
            for row in screen.rows:
                if len(row) > MAX_BUTTONS_IN_ROW:
                    self.problem(
                        row[0].where,
                        f"a row of screen '{screen.name}' has {len(row)} buttons; at most {MAX_BUTTONS_IN_ROW}",
                    )
                for button in row:
                    what = f"a button of screen '{screen.name}'"
                    if (
                        self._text_exists(button.label, button.where, what)
                        and self.product.texts[button.label].placeholders
                    ):
                        self.problem(button.where, f"button text '{button.label}' cannot have placeholders")
                    data = button.callback_data
                    if data is not None and len(data.encode()) > MAX_CALLBACK_BYTES:
                        self.problem(
                            button.where,
                            f"button '{button.label}': callback data '{data}' is {len(data.encode())} bytes;"
                            f" Telegram allows {MAX_CALLBACK_BYTES}",
                        )

    # -- transitions -------------------------------------------------------------------------------

    def _target_state(self, target: Target, where: Where, what: str) -> str | None:
        if target.go is not None:
            if target.go in self.flow_screens:
                self.problem(
                    where,
                    f"{what} goes to screen '{target.go}', which belongs to flow"
                    f" '{self.flow_screens[target.go]}'; use 'flow: {self.flow_screens[target.go]}'",
                )
                return None
            if target.go not in self.states:
                self.problem(where, f"{what} goes to unknown screen '{target.go}'")
                return None
            return target.go
        if target.flow is not None:
            flow = self.product.flows.get(target.flow)
            if flow is None:
                self.problem(where, f"{what} starts unknown flow '{target.flow}'")
                return None
            return flow.initial if flow.initial in self.states else None
        return None

    def _add(self, where: Where, **transition: Any) -> None:
        self.transitions.append(transition)
        self.transition_where.append(where)

    def _add_button_transitions(self) -> None:
        for state in list(self.states.values()):
            for row in state.screen.rows:
                for button in row:
                    if button.target is None or button.target.trigger is not None:
                        continue
                    dest = self._target_state(button.target, button.where, f"button '{button.label}'")
                    if dest is not None:
                        self._add(button.where, trigger=button.target.trigger_name, source=state.name, dest=dest)
            for rows, trigger in self._built_triggers(state.screen):
                if trigger.startswith(GO_PREFIX):
                    target = Target(go=trigger[len(GO_PREFIX) :])
                    dest = self._target_state(target, rows.where, f"button source '{rows.source}'")
                    if dest is not None:
                        self._add(rows.where, trigger=trigger, source=state.name, dest=dest)

    def _built_triggers(self, screen: Screen) -> list[tuple[Any, str]]:
        """(row source, trigger) for every trigger the screen's `{each: ...}` rows may fire."""
        return [
            (rows, trigger)
            for rows in screen.button_sources
            if rows.source in self.registry.button_sources
            for trigger in sorted(self.registry.button_sources[rows.source].triggers)
        ]

    def _add_commands(self) -> None:
        for command in self.product.commands.values():
            for action in command.before:
                self._check_action(action, command.where)
            for guard in command.only_if:
                if guard not in self.registry.guards:
                    self.problem(command.where, f"guard '{guard}' is not registered (flows/*.py, @registry.guard)")
            if command.name == START_COMMAND:
                continue  # /start is the engine's reset, handled before the graph
            dest = self._target_state(command.target, command.where, f"command '/{command.name}'")
            if dest is not None:
                self._add(
                    command.where,
                    trigger=COMMAND_PREFIX + command.name,
                    source="*",
                    dest=dest,
                    before=list(command.before),
                )

    def _add_flow_transitions(self) -> None:
        self.flow_button_triggers = button_triggers = self._button_triggers_by_state()
        defined: set[tuple[str, str]] = set()
        for flow in self.product.flows.values():
            for t in flow.transitions:
                self._check_trigger(t.trigger, t.at("trigger"))
                for key, names in (("source", t.source), ("dest", [t.dest] if t.dest else [])):
                    for name in names:
                        if name != "*" and name not in self.states:
                            self.problem(t.at(key), f"transition '{t.trigger}' names unknown state '{name}'")
                for key, names in (("conditions", t.conditions), ("unless", t.unless)):
                    for name in names:
                        if name not in self.registry.guards:
                            self.problem(t.at(key), f"guard '{name}' is not registered (flows/*.py, @registry.guard)")
                for key, names in (("prepare", t.prepare), ("before", t.before), ("after", t.after)):
                    for name in names:
                        self._check_action(name, t.at(key))
                for source in self._sources(list(t.source)):
                    defined.add((source, t.trigger))
                self._add(
                    t.where,
                    trigger=t.trigger,
                    source=list(t.source) if len(t.source) > 1 else t.source[0],
                    dest=t.dest,
                    prepare=list(t.prepare),
                    conditions=list(t.conditions),
                    unless=list(t.unless),
                    before=list(t.before),
                    after=list(t.after),
                )
        for (state, trigger), where in button_triggers.items():
            if (state, trigger) not in defined:
                self.problem(
                    where, f"a button fires '{trigger}' on state '{state}', but no flow transition handles it there"
                )

    def _button_triggers_by_state(self) -> dict[tuple[str, str], Where]:
        result = {}
        for state in self.states.values():
            for row in state.screen.rows:
                for button in row:
                    if button.target is not None and button.target.trigger is not None:
                        result[(state.name, button.target.trigger)] = button.where
            for rows, trigger in self._built_triggers(state.screen):
                if not trigger.startswith(GO_PREFIX):
                    result[(state.name, trigger)] = rows.where
        return result

    def _check_trigger(self, trigger: str, where: Where) -> None:
        if trigger.startswith(COMMAND_PREFIX):
            if trigger[len(COMMAND_PREFIX) :] not in self.product.commands:
                self.problem(where, f"trigger '{trigger}' names a command that menus.yaml does not define")
        elif trigger.startswith("message.") and trigger not in MESSAGE_TRIGGERS:
            self.problem(where, f"unknown message trigger '{trigger}' (known: {', '.join(MESSAGE_TRIGGERS)})")
        elif not trigger.startswith("message.") and not trigger.replace("_", "a").isalnum():
            self.problem(where, f"trigger '{trigger}' must be lower-case letters, digits and _")

    def _check_action(self, name: str, where: Where) -> None:
        if name not in self.registry.actions:
            self.problem(where, f"action '{name}' is not registered (flows/*.py, @registry.action)")

    def _sources(self, source: Any) -> list[str]:
        names = source if isinstance(source, list) else [source]
        return list(self.states) if "*" in names else [n for n in names if n in self.states]

    # -- the graph as a whole ----------------------------------------------------------------------

    def _check_reachability(self) -> None:
        if self.product.start not in self.states:
            return
        edges: dict[str, set[str]] = defaultdict(set)
        has_own_way_out: set[str] = set()
        for t in self.transitions:
            if t["dest"] is None:
                continue
            wildcard = t["source"] == "*"
            for source in self._sources(t["source"]):
                edges[source].add(t["dest"])
                if not wildcard and t["dest"] != source:
                    has_own_way_out.add(source)
        seen = {self.product.start}
        queue = deque(seen)
        while queue:
            for dest in edges[queue.popleft()]:
                if dest not in seen:
                    seen.add(dest)
                    queue.append(dest)
        for name in self.states:
            if name not in seen:
                self.problem(self.where[name], f"state '{name}' cannot be reached from '{self.product.start}'")
            elif name not in has_own_way_out:
                self.problem(
                    self.where[name], f"state '{name}' has no way out: give its screen a button or a transition"
                )
