"""Reads menus.yaml, texts.ru.yaml and flows/*.yaml into a `Product`, noting every problem with its line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.source import Mapping, Problem, Sequence, YamlError, load_yaml
from engine.spec import Button, ButtonRows, Command, Flow, FlowState, FlowTransition, Product, Screen, Target, Where
from engine.texts import Texts

MENUS_FILE = "menus.yaml"
TEXTS_FILE = "texts.ru.yaml"
FLOWS_DIR = "flows"

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
TRIGGER = re.compile(r"^[a-z][a-z0-9_]*$")

MENUS_KEYS = {"start", "screens", "commands"}
SCREEN_KEYS = {"text", "rows", "data"}
BUTTON_KEYS = {"text", "go", "flow", "trigger", "payload", "url"}
COMMAND_KEYS = {"go", "flow", "description", "before", "only_if", "hidden"}
FLOW_KEYS = {"flow", "initial", "states", "transitions"}
STATE_KEYS = {"screen", "on_enter", "on_exit"}
TRANSITION_KEYS = {"trigger", "source", "dest", "prepare", "conditions", "unless", "before", "after"}


class _Reader:
    """Collects problems while turning YAML trees into spec values."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, where: Mapping | Sequence, line: int, message: str) -> None:
        self.problems.append(Problem(where.file, line, message))

    def load(self, relative: str) -> Any:
        try:
            return load_yaml(self.root / relative, relative)
        except YamlError as err:
            self.problems.append(err.problem)
            return None

    def keys(self, node: Mapping, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.problem(node, node.line_of(key), f"unknown key '{key}' in {what} (expected one of: {expected})")

    def mapping(self, parent: Mapping, key: str, what: str, required: bool = False) -> Mapping | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(parent, parent.line, f"{what} needs '{key}'")
            return None
        if not isinstance(value, Mapping):
            self.problem(parent, parent.line_of(key), f"'{key}' in {what} must be a mapping of names")
            return None
        return value

    def string(self, parent: Mapping, key: str, what: str, required: bool = False) -> str | None:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(parent, parent.line, f"{what} needs '{key}'")
            return None
        if not isinstance(value, str) or not value:
            self.problem(parent, parent.line_of(key), f"'{key}' in {what} must be a non-empty word")
            return None
        return value

    def names(self, parent: Mapping, key: str, what: str) -> tuple[str, ...]:
        """A name or a list of names (transitions accepts both)."""
        value = parent.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) and item for item in items):
            self.problem(parent, parent.line_of(key), f"'{key}' in {what} must be a name or a list of names")
            return ()
        return tuple(items)


def load_product(root: Path) -> tuple[Product | None, list[Problem]]:
    reader = _Reader(root)
    texts = Texts.load(reader.load(TEXTS_FILE), TEXTS_FILE, reader.problems)
    menus = reader.load(MENUS_FILE)
    flows = _read_flows(reader)
    if not isinstance(menus, Mapping):
        if menus is not None:
            reader.problems.append(
                Problem(MENUS_FILE, 1, "expected 'start', 'screens' and 'commands' at the top level")
            )
        return None, reader.problems
    reader.keys(menus, MENUS_KEYS, MENUS_FILE)
    start = reader.string(menus, "start", MENUS_FILE, required=True) or ""
    product = Product(
        start=start,
        start_where=Where(menus.file, menus.line_of("start")),
        screens=_read_screens(reader, menus),
        commands=_read_commands(reader, menus),
        flows=flows,
        texts=texts,
    )
    return product, reader.problems


def _read_target(reader: _Reader, node: Mapping, what: str, allow_trigger: bool) -> Target | None:
    kinds = [k for k in ("go", "flow", "trigger") if k in node and (allow_trigger or k != "trigger")]
    if len(kinds) > 1:
        reader.problem(node, node.line, f"{what} has both '{kinds[0]}' and '{kinds[1]}'; choose one")
        return None
    if not kinds:
        return None
    kind = kinds[0]
    value = reader.string(node, kind, what)
    if value is None:
        return None
    if kind == "trigger" and not TRIGGER.match(value):
        reader.problem(node, node.line_of(kind), f"trigger '{value}' must be lower-case letters, digits and _")
        return None
    payload = node.get("payload")
    if payload is not None and not isinstance(payload, (str, int)):
        reader.problem(node, node.line_of("payload"), f"'payload' in {what} must be a word or a number")
        payload = None
    return Target(**{kind: value}, payload=None if payload is None else str(payload))


def _read_screens(reader: _Reader, menus: Mapping) -> dict[str, Screen]:
    screens: dict[str, Screen] = {}
    for name, node in (reader.mapping(menus, "screens", MENUS_FILE, required=True) or {}).items():
        parent: Mapping = menus["screens"]
        what = f"screen '{name}'"
        if not NAME.match(name):
            reader.problem(
                parent, parent.line_of(name), f"screen name '{name}' must be lower-case letters, digits and _"
            )
            continue
        if not isinstance(node, Mapping):
            reader.problem(parent, parent.line_of(name), f"{what} must be a mapping with 'text' and 'rows'")
            continue
        reader.keys(node, SCREEN_KEYS, what)
        text = reader.string(node, "text", what, required=True) or ""
        screens[name] = Screen(
            name=name,
            text=text,
            layout=_read_rows(reader, node, what),
            data=reader.names(node, "data", what),
            where=Where(node.file, parent.line_of(name)),
            text_where=Where(node.file, node.line_of("text")),
        )
    return screens


def _read_rows(reader: _Reader, screen: Mapping, what: str) -> tuple[tuple[Button, ...] | ButtonRows, ...]:
    rows = screen.get("rows")
    if rows is None:
        return ()
    if not isinstance(rows, Sequence):
        reader.problem(screen, screen.line_of("rows"), f"'rows' in {what} must be a list of rows")
        return ()
    result: list[tuple[Button, ...] | ButtonRows] = []
    for index, row in enumerate(rows):
        if isinstance(row, Mapping) and "each" in row:
            reader.keys(row, {"each"}, f"an 'each' row of {what}")
            source = reader.string(row, "each", f"an 'each' row of {what}")
            if source is not None:
                result.append(ButtonRows(source, Where(row.file, row.line)))
            continue
        items = row if isinstance(row, Sequence) else None
        if items is None:
            reader.problem(
                rows, rows.line_of(index), f"row {index + 1} of {what} must be a list of buttons or {{each: name}}"
            )
            continue
        buttons = []
        for button in items:
            if not isinstance(button, Mapping):
                reader.problem(items, items.line, f"a button in {what} must be a mapping with 'text'")
                continue
            reader.keys(button, BUTTON_KEYS, f"a button of {what}")
            label = reader.string(button, "text", f"a button of {what}", required=True) or ""
            target = _read_target(reader, button, f"button '{label}' of {what}", allow_trigger=True)
            url = reader.string(button, "url", f"button '{label}'")
            if target is None and url is None:
                reader.problem(
                    button, button.line, f"button '{label}' of {what} needs 'go', 'flow', 'trigger' or 'url'"
                )
            elif target is not None and url is not None:
                reader.problem(button, button.line, f"button '{label}' of {what} has both 'url' and a target")
            buttons.append(Button(label, target, url, Where(button.file, button.line)))
        result.append(tuple(buttons))
    return tuple(result)


def _read_commands(reader: _Reader, menus: Mapping) -> dict[str, Command]:
    commands: dict[str, Command] = {}
    node = reader.mapping(menus, "commands", MENUS_FILE)
    for name, spec in (node or {}).items():
        assert node is not None
        what = f"command '/{name}'"
        if not NAME.match(name):
            reader.problem(node, node.line_of(name), f"{what}: a command is lower-case letters, digits and _")
            continue
        if not isinstance(spec, Mapping):
            reader.problem(node, node.line_of(name), f"{what} must be a mapping with 'go' or 'flow' and 'description'")
            continue
        reader.keys(spec, COMMAND_KEYS, what)
        target = _read_target(reader, spec, what, allow_trigger=False)
        if target is None and name != "start":
            reader.problem(spec, spec.line, f"{what} needs 'go' or 'flow'")
            continue
        description = reader.string(spec, "description", what, required=True) or ""
        where = Where(spec.file, node.line_of(name))
        commands[name] = Command(
            name,
            target or Target(),
            description,
            where,
            before=reader.names(spec, "before", what),
            only_if=reader.names(spec, "only_if", what),
            hidden=spec.get("hidden") is True,
        )
    return commands


def _read_flows(reader: _Reader) -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    first_seen: dict[str, Where] = {}
    for path in sorted((reader.root / FLOWS_DIR).glob("*.yaml")):
        relative = f"{FLOWS_DIR}/{path.name}"
        tree = reader.load(relative)
        if tree is None:
            continue
        if not isinstance(tree, Mapping):
            reader.problems.append(
                Problem(relative, 1, "expected 'initial', 'states' and 'transitions' at the top level")
            )
            continue
        flow = _read_flow(reader, tree, path.stem)
        if flow is None:
            continue
        if flow.name in flows:
            earlier = first_seen[flow.name]
            reader.problem(tree, tree.line, f"duplicate flow '{flow.name}' (also in {earlier.file}:{earlier.line})")
            continue
        flows[flow.name] = flow
        first_seen[flow.name] = flow.where
    return flows


def _read_flow(reader: _Reader, tree: Mapping, stem: str) -> Flow | None:
    reader.keys(tree, FLOW_KEYS, f"flow file {tree.file}")
    name = reader.string(tree, "flow", "a flow") or stem
    what = f"flow '{name}'"
    if not NAME.match(name):
        reader.problem(tree, tree.line_of("flow"), f"{what}: a flow name is lower-case letters, digits and _")
        return None
    states_node = reader.mapping(tree, "states", what, required=True) or Mapping.at(tree.file, tree.line)
    local = set(states_node)

    def qualify(state: str) -> str:
        return f"{name}.{state}" if state in local else state

    states = []
    for state, spec in states_node.items():
        line = states_node.line_of(state)
        if not NAME.match(state):
            reader.problem(states_node, line, f"state '{state}' in {what} must be lower-case letters, digits and _")
            continue
        if not isinstance(spec, Mapping):
            reader.problem(states_node, line, f"state '{state}' in {what} must be a mapping with 'screen'")
            continue
        reader.keys(spec, STATE_KEYS, f"state '{state}'")
        screen = reader.string(spec, "screen", f"state '{state}'", required=True) or ""
        states.append(
            FlowState(
                qualify(state),
                screen,
                reader.names(spec, "on_enter", state),
                reader.names(spec, "on_exit", state),
                Where(tree.file, line),
            )
        )
    initial = reader.string(tree, "initial", what, required=True) or ""
    return Flow(
        name=name,
        initial=qualify(initial),
        states=tuple(states),
        transitions=tuple(_read_transitions(reader, tree, what, qualify)),
        where=Where(tree.file, tree.line_of("initial")),
    )


def _read_transitions(reader: _Reader, tree: Mapping, what: str, qualify: Any) -> Iterable[FlowTransition]:
    node = tree.get("transitions")
    if node is None:
        return
    if not isinstance(node, Sequence):
        reader.problem(tree, tree.line_of("transitions"), f"'transitions' in {what} must be a list")
        return
    for index, spec in enumerate(node):
        if not isinstance(spec, Mapping):
            reader.problem(node, node.line_of(index), f"a transition in {what} must be a mapping with 'trigger'")
            continue
        reader.keys(spec, TRANSITION_KEYS, f"a transition of {what}")
        # A list of triggers is shorthand for the same transition written once per trigger.
        triggers = reader.names(spec, "trigger", f"a transition of {what}")
        if not triggers:
            reader.problem(spec, spec.line, f"a transition of {what} needs 'trigger'")
            continue
        sources = reader.names(spec, "source", f"a transition of {what}")
        if not sources:
            reader.problem(spec, spec.line, f"transition '{triggers[0]}' in {what} needs 'source'")
            continue
        dest = spec.get("dest")
        if dest is not None and not isinstance(dest, str):
            reader.problem(
                spec, spec.line_of("dest"), f"'dest' of transition '{triggers[0]}' must be a state name or null"
            )
            continue
        for trigger in triggers:
            yield FlowTransition(
                trigger=trigger,
                source=tuple(s if s == "*" else qualify(s) for s in sources),
                dest=None if dest is None else qualify(dest),
                conditions=reader.names(spec, "conditions", trigger),
                unless=reader.names(spec, "unless", trigger),
                before=reader.names(spec, "before", trigger),
                after=reader.names(spec, "after", trigger),
                where=Where(spec.file, spec.line),
                prepare=reader.names(spec, "prepare", trigger),
                key_lines=tuple(spec.key_lines.items()),
            )
