"""YAML loading that remembers where every value came from, so lint can say `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the product's files, pointing at the line to fix."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class YamlError(Exception):
    """The file could not be read as YAML at all; lint reports it as one problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Mapping(dict[str, Any]):
    """A YAML mapping with the line of each key (1-based) and of the mapping itself."""

    file: str
    line: int
    key_lines: dict[str, int]

    @classmethod
    def at(cls, file: str, line: int) -> Mapping:
        result = cls()
        result.file, result.line, result.key_lines = file, line, {}
        return result

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Sequence(list[Any]):
    """A YAML sequence with the line of each item (1-based) and of the sequence itself."""

    file: str
    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def load_yaml(path: Path, display_name: str | None = None) -> Any:
    """Parse `path`; mappings become `Mapping`, sequences `Sequence`. Duplicate keys are errors.

    PyYAML silently keeps the last of two equal keys; a copywriter who pastes a block twice would
    lose text without a word, so we compose the node tree ourselves and refuse duplicates.
    """
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise YamlError(Problem(name, 1, f"cannot read the file: {err.strerror}")) from err
    except UnicodeDecodeError as err:
        raise YamlError(Problem(name, 1, "the file is not UTF-8 text")) from err
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        # Point at where the broken construct opened (an unclosed [ or quote), and say where it broke.
        mark = err.context_mark or err.problem_mark
        line = mark.line + 1 if mark else 1
        found = f" (noticed at line {err.problem_mark.line + 1})" if err.problem_mark and err.context_mark else ""
        what = f"{err.context}: {err.problem}" if err.context else str(err.problem)
        raise YamlError(Problem(name, line, f"not valid YAML: {what}{found}")) from err
    if node is None:
        return Mapping.at(name, 1)
    return _convert(node, name)


def _convert(node: yaml.Node, file: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = Mapping.at(file, line)
        for key_node, value_node in node.value:
            key = _convert(key_node, file)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, bool)) or isinstance(key, (Mapping, Sequence)):
                raise YamlError(Problem(file, key_line, "a key must be a plain word"))
            key = str(key)
            if key in result:
                raise YamlError(
                    Problem(file, key_line, f"duplicate key '{key}' (first at line {result.key_lines[key]})")
                )
            result[key] = _convert(value_node, file)
            result.key_lines[key] = key_line
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = Sequence(_convert(item, file) for item in node.value)
        seq.file, seq.line = file, line
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return _SCALARS.construct_object(node, deep=True)


_SCALARS = yaml.constructor.SafeConstructor()
