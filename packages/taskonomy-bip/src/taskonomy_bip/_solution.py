"""The answer: roots, the transfer chosen into every target, values; JSON, networkx and DOT."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("optimal", "infeasible", "time_limit", "feasible")


@dataclass(frozen=True)
class Solution:
    """A taxonomy: which tasks to supervise (``roots``) and how every target is solved.

    ``transfers[t]`` is the tuple of sources chosen for target ``t``, or ``("self",)`` when ``t``
    is itself a root; ``values[t]`` is its contribution to the objective (importance x
    performance); ``choices[t]`` is the released-format key of the chosen competitor. ``status``
    is ``optimal``, ``infeasible`` (see ``message``), ``time_limit`` (best solution found and its
    relative ``gap``, or no solution) or ``feasible`` (a sampled, not optimised, taxonomy).
    """

    status: str
    solver: str
    budget: float
    max_order: int
    objective: float = math.nan
    gap: float = math.nan
    roots: tuple[str, ...] = ()
    transfers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, float] = field(default_factory=dict)
    cost: float = 0.0
    seconds: float = 0.0
    message: str = ""

    @property
    def choices(self) -> dict[str, str]:
        """Target -> released-format key of its chosen competitor (``s1__s2__t`` or ``self__t``)."""
        return {t: "__".join((*sources, t)) for t, sources in self.transfers.items()}

    @property
    def feasible(self) -> bool:
        return bool(self.transfers)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``Solution.from_dict`` reads it back."""
        data = asdict(self)
        data["roots"] = list(self.roots)
        data["transfers"] = {t: list(s) for t, s in self.transfers.items()}
        data["choices"] = self.choices
        for key in ("objective", "gap"):
            data[key] = None if math.isnan(data[key]) else data[key]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Solution:
        """Inverse of `to_dict`.

        >>> s = Solution("optimal", "glpk", 1, 1, 0.5, 0.0, ("a",), {"b": ("a",)}, {"b": 0.5})
        >>> Solution.from_dict(json.loads(json.dumps(s.to_dict()))) == s
        True
        """
        try:
            return cls(
                status=str(data["status"]),
                solver=str(data["solver"]),
                budget=float(data["budget"]),
                max_order=int(data["max_order"]),
                objective=_nan_if_none(data.get("objective")),
                gap=_nan_if_none(data.get("gap")),
                roots=tuple(data.get("roots", ())),
                transfers={t: tuple(s) for t, s in data.get("transfers", {}).items()},
                values={t: float(v) for t, v in data.get("values", {}).items()},
                cost=float(data.get("cost", 0.0)),
                seconds=float(data.get("seconds", 0.0)),
                message=str(data.get("message", "")),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"not a taxonomy solution ({err!r}): expected Solution.to_dict() output"
            ) from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    def to_networkx(self) -> Any:
        """A ``networkx.DiGraph``: roots and targets as nodes, an edge per source of each transfer.

        Edge attributes: ``transfer`` (the chosen key) and ``value``; node attribute ``root``.
        """
        try:
            import networkx as nx
        except ImportError:
            raise ImportError(
                "to_networkx needs networkx: pip install 'taskonomy-bip[graph]' (or networkx)"
            ) from None
        graph = nx.DiGraph(status=self.status, objective=self.objective, budget=self.budget)
        for task in self.roots:
            graph.add_node(task, root=True)
        for target, sources in self.transfers.items():
            graph.add_node(target, root=target in self.roots)
            if sources == ("self",):
                continue
            key = "__".join((*sources, target))
            for source in sources:
                graph.add_edge(source, target, transfer=key, value=self.values.get(target))
        return graph

    def to_dot(self) -> str:
        """Graphviz DOT text: roots as boxes, one hyperedge node per higher-order transfer."""
        lines = ["digraph taxonomy {", "  rankdir=LR;", "  node [shape=ellipse];"]
        for task in self.roots:
            lines.append(f'  "{task}" [shape=box, style=filled, fillcolor="#dde8f7"];')
        for target, sources in sorted(self.transfers.items()):
            value = self.values.get(target, math.nan)
            if sources == ("self",):
                lines.append(f'  "{target}" [xlabel="self {value:.3g}"];')
            elif len(sources) == 1:
                lines.append(f'  "{sources[0]}" -> "{target}" [label="{value:.3g}"];')
            else:
                hub = "__".join((*sources, target))
                lines.append(f'  "{hub}" [shape=point];')
                lines.extend(f'  "{s}" -> "{hub}" [arrowhead=none];' for s in sources)
                lines.append(f'  "{hub}" -> "{target}" [label="{value:.3g}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_table(self) -> str:
        """A readable plain-text table of the taxonomy."""
        head = (
            f"status {self.status} | solver {self.solver} | budget {self.budget:g} | "
            f"max order {self.max_order} | objective {self.objective:.6g} | "
            f"gap {self.gap:.3g} | {self.seconds:.3f} s"
        )
        if not self.transfers:
            return head + ("\n" + self.message if self.message else "") + "\n"
        rows = [("target", "solved by", "value")]
        for target, sources in sorted(self.transfers.items()):
            how = "self (root)" if sources == ("self",) else " + ".join(sources)
            rows.append((target, how, f"{self.values.get(target, math.nan):.4f}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        body = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows]
        body.insert(1, "-" * len(body[0]))
        roots = f"roots ({self.cost:g}): {', '.join(self.roots)}"
        return "\n".join([head, roots, *body]) + "\n"


def _nan_if_none(value: Any) -> float:
    return math.nan if value is None else float(value)
