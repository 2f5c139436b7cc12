"""The flow graph as a Mermaid state diagram, drawn by transitions' own diagrams extension."""

from __future__ import annotations

from typing import Any

from transitions.extensions import GraphMachine

from engine.graph import Graph


def _mermaid_id(state: Any) -> Any:
    # Mermaid state ids cannot hold dots; flow states are `flow.state`.
    return state.replace(".", "__") if isinstance(state, str) else [_mermaid_id(s) for s in state]


def mermaid(graph: Graph) -> str:
    """`stateDiagram-v2` text; callbacks appear by name, so the diagram reads like the YAML."""

    class Diagram:  # GraphMachine draws the graph of a model, so it gets one that is never triggered
        pass

    transitions = [
        {**t, "source": _mermaid_id(t["source"]), "dest": t["dest"] and _mermaid_id(t["dest"])}
        for t in graph.transitions
    ]
    diagram = Diagram()
    GraphMachine(
        model=diagram,
        states=[_mermaid_id(name) for name in graph.states],
        transitions=transitions,
        initial=graph.start,
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
        title="AI Studio flows",
    )
    return str(diagram.get_graph().draw(None))  # type: ignore[attr-defined]
