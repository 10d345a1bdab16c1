"""Taskonomy Steps I and II in PyTorch: task-specific networks, transfer readouts trained in
batches from cached representations, and per-sample test losses for every competitor."""

from ._beam import DEFAULT_BEAM, beam_candidates
from ._encoders import ENCODERS, EncoderConfig
from ._estimators import ESTIMATORS, estimate_transferability, hscore, logme_score, ridge_score
from ._fit import TrainConfig
from ._losses import LOSSES
from ._network import TaskNetwork, build_network, load_network, save_network
from ._readouts import ReadoutResult, train_readouts
from ._represent import extract_representations
from ._tasks import KINDS, TaskSpec, competitor_name
from ._train import per_sample_losses, predict, train_pixels_baseline, train_task_network

__version__ = "0.1.0"
__all__ = [
    "DEFAULT_BEAM",
    "ENCODERS",
    "ESTIMATORS",
    "KINDS",
    "LOSSES",
    "EncoderConfig",
    "ReadoutResult",
    "TaskNetwork",
    "TaskSpec",
    "TrainConfig",
    "beam_candidates",
    "build_network",
    "competitor_name",
    "estimate_transferability",
    "extract_representations",
    "hscore",
    "load_network",
    "logme_score",
    "per_sample_losses",
    "predict",
    "ridge_score",
    "save_network",
    "train_pixels_baseline",
    "train_readouts",
    "train_task_network",
]
