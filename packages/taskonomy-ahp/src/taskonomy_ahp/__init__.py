"""taskonomy-ahp: the Analytic Hierarchy Process in pure numpy, and Taskonomy's ordinal
normalisation of per-sample losses (tournaments -> affinities).

>>> import taskonomy_ahp as ahp
>>> ahp.priorities([[1, 3], [1 / 3, 1]]).tolist()
[0.75, 0.25]
"""

from ._affinity import AffinityTable, affinity_table, key_sources, key_target, win_rates
from ._bootstrap import (
    AffinityIntervals,
    bootstrap_affinities,
    resample_weights,
    weighted_win_counts,
)
from ._consistency import (
    RANDOM_INDEX_NAMES,
    RANDOM_INDEX_TABLES,
    Evaluation,
    consistency_index,
    consistency_ratio,
    evaluate,
    random_index,
)
from ._group import aggregate_judgements, aggregate_priorities
from ._hierarchy import Criterion, HierarchyResult, evaluate_hierarchy
from ._incomplete import complete_matrix
from ._matrix import SAATY_SCALE, from_judgements, validate_matrix
from ._priorities import PRIORITY_METHODS, lambda_max, principal_eigenpair, priorities
from ._tournament import ratio_matrix, tournament, win_counts

__version__ = "0.1.0"
__all__ = [
    "PRIORITY_METHODS",
    "RANDOM_INDEX_NAMES",
    "RANDOM_INDEX_TABLES",
    "SAATY_SCALE",
    "AffinityIntervals",
    "AffinityTable",
    "Criterion",
    "Evaluation",
    "HierarchyResult",
    "affinity_table",
    "aggregate_judgements",
    "aggregate_priorities",
    "bootstrap_affinities",
    "complete_matrix",
    "consistency_index",
    "consistency_ratio",
    "evaluate",
    "evaluate_hierarchy",
    "from_judgements",
    "key_sources",
    "key_target",
    "lambda_max",
    "principal_eigenpair",
    "priorities",
    "random_index",
    "ratio_matrix",
    "resample_weights",
    "tournament",
    "validate_matrix",
    "weighted_win_counts",
    "win_counts",
    "win_rates",
]
