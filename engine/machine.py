"""Compiles the flat graph ONCE into a single `transitions` AsyncMachine shared by all users."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from transitions.extensions.asyncio import AsyncMachine

from engine.graph import Graph
from engine.registry import Registry


class SequentialAsyncMachine(AsyncMachine):  # type: ignore[misc]
    """Awaits callbacks one after another in the handler's task.

    The stock `await_all` runs every callback list through `asyncio.gather`, which costs a task
    per callback and runs guards concurrently (upstream #717); ours are cheap and ordered.
    """

    @staticmethod
    async def await_all(callables: Iterable[Callable[[], Awaitable[Any]]]) -> list[Any]:
        return [await func() for func in callables]


def _adapt(function: Callable[[Any], Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
    # transitions hands callbacks its EventData (send_event=True); ours take the Turn it carries.
    async def callback(event: Any) -> Any:
        return await function(event.model)

    callback.__name__ = function.__name__
    return callback


def build_machine(graph: Graph, registry: Registry) -> AsyncMachine:
    """Resolve every callback name to its registered function and build the machine.

    `build_graph` has already reported unknown names, so a KeyError here means lint was skipped.
    """
    guards = {name: _adapt(fn) for name, fn in registry.guards.items()}
    actions = {name: _adapt(fn) for name, fn in registry.actions.items()}
    states = [
        {
            "name": node.name,
            "on_enter": [actions[a] for a in node.on_enter],
            "on_exit": [actions[a] for a in node.on_exit],
        }
        for node in graph.states.values()
    ]
    transitions = []
    for spec in graph.transitions:
        compiled = dict(spec)
        for key, table in (
            ("prepare", actions),
            ("conditions", guards),
            ("unless", guards),
            ("before", actions),
            ("after", actions),
        ):
            if key in compiled:
                compiled[key] = [table[name] for name in compiled[key]]
        transitions.append(compiled)
    return SequentialAsyncMachine(
        model=None,
        states=states,
        transitions=transitions,
        initial=graph.start,
        auto_transitions=False,
        send_event=True,
    )
