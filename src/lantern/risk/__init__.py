"""Children at risk: explainable, additive scores with every reason, weight and record.

``assess(conn, case_id)`` reads the store and the latest network run of a case
(:mod:`lantern.risk.read`), finds each child's reasons (:mod:`lantern.risk.reasons`) and sums
their capped, weighted contributions (:mod:`lantern.risk.score`, weights in ``weights.yaml``).
Protected characteristics are never read. docs/risk-model-card.md describes the model.
"""

from lantern.risk.score import ALGORITHM_VERSION, Assessment, ChildRisk, Reason, baseline
from lantern.risk.service import assess
from lantern.risk.weights import Weights, load_weights

__all__ = ["ALGORITHM_VERSION", "Assessment", "ChildRisk", "Reason", "Weights", "assess", "baseline",
           "load_weights"]
