"""AI Studio's product logic: the named guards, actions and screen data its YAML refers to.

`studio-bot` loads this package by name; the YAML it reads sits beside it (menus.yaml,
texts.ru.yaml at the top level, flows/*.yaml here).
"""

from engine.registry import Registry

registry = Registry()

from flows import support  # noqa: E402,F401 - registers its functions on import

__all__ = ["registry"]
