"""Loads a product by name (a package exposing `registry`, YAML beside it), checks and compiles it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

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


def import_registry(app: str) -> tuple[Registry, Path]:
    """Import the product package `app` (e.g. "flows"); its YAML lives in the folder above it."""
    module = importlib.import_module(app)
    registry = getattr(module, "registry", None)
    if not isinstance(registry, Registry):
        raise ProductError([Problem(f"{app}/__init__.py", 1, "the package must define 'registry = Registry()'")])
    if module.__file__ is None:  # pragma: no cover - namespace packages have no file
        raise ProductError([Problem(app, 1, "the product must be a regular package")])
    return registry, Path(module.__file__).resolve().parent.parent


def check(root: Path, registry: Registry) -> tuple[Product | None, Graph | None, list[Problem]]:
    """Every problem in the product's files, sorted by file and line."""
    product, problems = load_product(root)
    graph = None
    if product is not None:
        graph, graph_problems = build_graph(product, registry)
        problems += graph_problems
    unique = sorted(set(problems), key=lambda p: (p.file, p.line, p.message))
    return product, graph, unique


def load_bundle(root: Path, registry: Registry) -> Bundle:
    """Check and compile, or raise ProductError with every problem: never start half-valid."""
    product, graph, problems = check(root, registry)
    if problems or product is None or graph is None:
        raise ProductError(problems)
    return Bundle(
        root=root,
        product=product,
        registry=registry,
        graph=graph,
        machine=build_machine(graph, registry),
        renderer=Renderer(product.screens, product.texts, registry),
    )
