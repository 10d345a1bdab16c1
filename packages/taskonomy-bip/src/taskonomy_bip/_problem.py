"""The taxonomy problem as plain data: tasks, roles, costs, values and candidate transfers."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

TRANSFORMS = ("identity", "sqrt")
SPECIAL_SOURCES = ("self", "pixels")


@dataclass(frozen=True)
class Transfer:
    """A candidate transfer ``{sources} -> target`` with its performance and optional cost."""

    sources: tuple[str, ...]
    target: str
    performance: float
    cost: float = 0.0

    @property
    def key(self) -> str:
        """The released-format key, ``"s1__s2__t"``."""
        return "__".join((*self.sources, self.target))

    @property
    def order(self) -> int:
        return len(self.sources)


def transform_affinity(value: float, transform: str) -> float:
    """Affinity to performance: ``identity``, or ``sqrt`` clipped to [1e-5, 1] (the web solver).

    >>> transform_affinity(0.25, "sqrt")
    0.5
    """
    if transform == "identity":
        return float(value)
    if transform == "sqrt":
        return float(np.clip(math.sqrt(max(value, 0.0)), 1e-5, 1.0))
    raise ValueError(f"unknown transform {transform!r}: use one of {', '.join(TRANSFORMS)}")


@dataclass(frozen=True)
class Problem:
    """A taxonomy problem (TASKONOMY.md Step IV), without budget and maximum order.

    ``targets`` are the tasks to solve, ``sources`` those that may be trained with full
    supervision (roots); a task in both can be solved by its own supervision, worth
    ``self_value[t]``. ``supervision_cost`` and ``importance`` default to 1. Performances are
    stored already transformed; ``transform`` records how they were obtained.

    >>> p = Problem(targets=("a", "b"), sources=("a", "b"), self_value={"a": 0.6, "b": 0.5},
    ...             transfers=(Transfer(("a",), "b", 0.4),))
    >>> p.target_only, p.source_only
    ((), ())
    """

    targets: tuple[str, ...]
    sources: tuple[str, ...]
    transfers: tuple[Transfer, ...]
    self_value: Mapping[str, float] = field(default_factory=dict)
    supervision_cost: Mapping[str, float] = field(default_factory=dict)
    importance: Mapping[str, float] = field(default_factory=dict)
    unused: tuple[str, ...] = ()
    transform: str = "identity"

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", tuple(self.targets))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "transfers", tuple(self.transfers))
        object.__setattr__(self, "unused", tuple(self.unused))
        costs = dict.fromkeys(self.sources, 1.0)
        costs |= {k: float(v) for k, v in self.supervision_cost.items()}
        weights = dict.fromkeys(self.targets, 1.0)
        weights |= {k: float(v) for k, v in self.importance.items()}
        object.__setattr__(self, "supervision_cost", costs)
        object.__setattr__(self, "importance", weights)
        object.__setattr__(self, "self_value", {k: float(v) for k, v in self.self_value.items()})
        _validate(self)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.targets, *self.sources)))

    @property
    def target_only(self) -> tuple[str, ...]:
        return tuple(t for t in self.targets if t not in set(self.sources))

    @property
    def source_only(self) -> tuple[str, ...]:
        return tuple(s for s in self.sources if s not in set(self.targets))

    @property
    def max_order(self) -> int:
        return max((t.order for t in self.transfers), default=0)

    @classmethod
    def from_affinities(
        cls,
        affinities: Mapping[str, float],
        *,
        targets: Iterable[str] | None = None,
        source_only: Iterable[str] = (),
        target_only: Iterable[str] = (),
        unused: Iterable[str] = (),
        transform: str = "identity",
        importance: Mapping[str, float] | None = None,
        supervision_cost: Mapping[str, float] | None = None,
    ) -> Problem:
        """Build a problem from released-format affinities (``s1__s2__t``, ``self__t``).

        Every task named in a key is a source unless listed in ``target_only`` or ``unused``;
        targets default to every task that some key transfers into, less ``source_only`` and
        ``unused``. Keys into non-targets or from unused tasks are left out.

        >>> p = Problem.from_affinities({"self__a": 0.7, "b__a": 0.3, "self__b": 1.0},
        ...                             targets=["a"], transform="sqrt")
        >>> p.source_only, [t.key for t in p.transfers]
        (('b',), ['b__a'])
        """
        if transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}: use one of {', '.join(TRANSFORMS)}")
        parsed = [(_split_key(k), v) for k, v in affinities.items()]
        named = {t for (srcs, tgt), _ in parsed for t in (*srcs, tgt) if t not in SPECIAL_SOURCES}
        source_only, target_only, unused = set(source_only), set(target_only), set(unused)
        for label, names in (
            ("source_only", source_only),
            ("target_only", target_only),
            ("unused", unused),
            ("targets", set(targets or ())),
        ):
            _check_known(names, named, label)
        if targets is None:
            into = {tgt for (srcs, tgt), _ in parsed}
            chosen = sorted(into - source_only - unused)
        else:
            chosen = list(dict.fromkeys(targets))
            if clash := set(chosen) & (source_only | unused):
                raise ValueError(
                    f"{sorted(clash)} listed both as targets and as source-only/unused: pick one"
                )
        sources = sorted(named - target_only - unused)
        self_value, transfers = {}, []
        for (srcs, tgt), value in parsed:
            if tgt not in chosen or any(s in unused for s in srcs):
                continue
            perf = transform_affinity(_finite(value, "__".join((*srcs, tgt))), transform)
            if srcs == ("self",):
                if tgt in sources:
                    self_value[tgt] = perf
            elif "pixels" not in srcs and "self" not in srcs:
                transfers.append(Transfer(srcs, tgt, perf))
        return cls(
            targets=tuple(chosen),
            sources=tuple(sources),
            transfers=tuple(transfers),
            self_value=self_value,
            supervision_cost=dict(supervision_cost or {}),
            importance=dict(importance or {}),
            unused=tuple(sorted(unused)),
            transform=transform,
        )

    def with_transfers(self, transfers: Iterable[Transfer]) -> Problem:
        return replace(self, transfers=tuple(transfers))


def _split_key(key: str) -> tuple[tuple[str, ...], str]:
    parts = str(key).split("__")
    if len(parts) < 2 or not all(parts):
        raise ValueError(f"bad affinity key {key!r}: expected 'source__target' or 's1__s2__target'")
    return tuple(parts[:-1]), parts[-1]


def _finite(value: float, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{what}: value {value!r} is not finite; fix or drop that entry")
    return number


def _check_known(names: set[str], known: set[str], label: str) -> None:
    if unknown := sorted(names - known):
        raise ValueError(
            f"unknown task(s) in {label}: {', '.join(unknown)}; "
            f"known tasks: {', '.join(sorted(known))}"
        )


def _validate(p: Problem) -> None:
    if p.transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {p.transform!r}: use one of {', '.join(TRANSFORMS)}")
    if not p.targets:
        raise ValueError("the problem has no targets: name at least one task to solve")
    known = set(p.tasks)
    if overlap := known & set(p.unused):
        raise ValueError(f"{sorted(overlap)} are both unused and in use: pick one role")
    _check_known(set(p.supervision_cost), set(p.sources), "supervision_cost (sources only)")
    _check_known(set(p.importance), set(p.targets), "importance (targets only)")
    both = set(p.targets) & set(p.sources)
    _check_known(set(p.self_value), both, "self_value (targets that are sources)")
    for name, cost in p.supervision_cost.items():
        if not math.isfinite(cost) or cost < 0:
            raise ValueError(f"supervision cost of {name} is {cost}: costs must be finite and >= 0")
    for name, weight in p.importance.items():
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(
                f"importance of {name} is {weight}: importances must be finite and >= 0"
            )
    for name, value in p.self_value.items():
        _finite(value, f"self value of {name}")
    if missing := [t for t in p.targets if t in set(p.sources) and t not in p.self_value]:
        raise ValueError(
            f"no self value for {', '.join(missing)}: give 'self__<task>' for every target that is "
            "also a source, or list it as target-only"
        )
    targets, sources = set(p.targets), set(p.sources)
    for t in p.transfers:
        _finite(t.performance, t.key)
        if not math.isfinite(t.cost) or t.cost < 0:
            raise ValueError(f"transfer {t.key} has cost {t.cost}: costs must be finite and >= 0")
        if t.target not in targets:
            role = "source-only" if t.target in sources else "not a task of this problem"
            raise ValueError(f"transfer {t.key} goes into {t.target}, which is {role}: drop it")
        if not t.sources or len(set(t.sources)) != len(t.sources):
            raise ValueError(f"transfer {t.key} needs distinct, non-empty sources")
        if bad := [s for s in t.sources if s not in sources]:
            raise ValueError(f"transfer {t.key} uses {', '.join(bad)}, not a source: add it as one")
