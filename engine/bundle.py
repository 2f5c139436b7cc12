"""Loads a product by name (a package exposing `registry`, YAML beside it), checks and compiles it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transitions.extensions.asyncio import AsyncMachine

from engine.graph import Graph, build_graph
from engine.loader import load_product
from engine.machine import build_machine
from engine.registry import Registry
from engine.render import Renderer
from engine.source import Problem
from engine.spec import Product


class ProductError(Exception):
    """The product's files have problems; `problems` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


@dataclass(frozen=True)
class Bundle:
    """Everything the engine needs at run time, built once at start-up."""

    root: Path
    product: Product
    registry: Registry
    graph: Graph
    machine: AsyncMachine
    renderer: Renderer
    # What the product's registered loaders read (say, a catalog); guards see it in `turn.services`.
    data: dict[str, Any] = field(default_factory=dict)


def import_registry(app: str) -> tuple[Registry, Path]:
    """Import the product package `app` (e.g. "flows"); its YAML lives in the folder above it."""
    module = importlib.import_module(app)
    registry = getattr(module, "registry", None)
    if not isinstance(registry, Registry):
        raise ProductError([Problem(f"{app}/__init__.py", 1, "the package must define 'registry = Registry()'")])
    if module.__file__ is None:  # pragma: no cover - namespace packages have no file
        raise ProductError([Problem(app, 1, "the product must be a regular package")])
    return registry, Path(module.__file__).resolve().parent.parent


@dataclass
class Checked:
    product: Product | None
    graph: Graph | None
    data: dict[str, Any]
    problems: list[Problem]


def check(root: Path, registry: Registry) -> Checked:
    """Every problem in the product's files, sorted by file and line."""
    product, problems = load_product(root)
    graph = None
    data: dict[str, Any] = {}
    if product is not None:
        graph, graph_problems = build_graph(product, registry)
        problems += graph_problems
        for name, loader in registry.loaders.items():
            data[name], loader_problems = loader(root, product)
            problems += loader_problems
    unique = sorted(set(problems), key=lambda p: (p.file, p.line, p.message))
    return Checked(product, graph, data, unique)


def load_bundle(root: Path, registry: Registry) -> Bundle:
    """Check and compile, or raise ProductError with every problem: never start half-valid."""
    checked = check(root, registry)
    product, graph = checked.product, checked.graph
    if checked.problems or product is None or graph is None:
        raise ProductError(checked.problems)
    return Bundle(
        root=root,
        product=product,
        registry=registry,
        graph=graph,
        machine=build_machine(graph, registry),
        renderer=Renderer(product.screens, product.texts, registry),
        data=checked.data,
    )
