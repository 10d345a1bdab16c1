"""taskonomy-bip: the Taskonomy taxonomy Binary Integer Program (Pyomo + GLPK).

Plan which tasks to supervise under a budget and how to transfer to every other target
(Zamir et al., CVPR 2018, Step IV), exactly and fast enough to be interactive.
"""

from ._problem import Problem, Transfer, transform_affinity
from ._reduce import Reduction, reduce_problem
from ._released import demo_problem, load_affinities, released_problem
from ._sample import random_taxonomies, synthetic_problem
from ._solution import Solution
from ._solve import SOLVERS, Taxonomy, solve, sweep

__version__ = "0.1.0"
__all__ = [
    "SOLVERS",
    "Problem",
    "Reduction",
    "Solution",
    "Taxonomy",
    "Transfer",
    "demo_problem",
    "load_affinities",
    "random_taxonomies",
    "reduce_problem",
    "released_problem",
    "solve",
    "sweep",
    "synthetic_problem",
    "transform_affinity",
]
