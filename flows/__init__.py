"""AI Studio bot, the product: its guards, actions, screen data and data loaders, named for the YAML."""

from pathlib import Path
from typing import Any

from engine.registry import Registry
from engine.source import Problem
from engine.spec import Product

registry = Registry()


@registry.loader("catalog")
def _catalog(root: Path, product: Product) -> tuple[Any, list[Problem]]:
    from flows.catalog import load_catalog

    return load_catalog(root, product)


# Importing the modules registers their functions with `registry`.
from flows import admin, confirm, generation, journey, payments, projects, support  # noqa: E402

__all__ = ["admin", "confirm", "generation", "journey", "payments", "projects", "registry", "support"]
