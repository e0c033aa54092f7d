"""Assessment: scenarios expanded into batches of engagements, locally or on a Dask cluster.

``assess(scenario, out_dir)`` writes a results folder; ``read_results(out_dir)`` is the one reader
(layout: :mod:`bmdcheck.assess.results`, docs/CONVENTIONS.md "Results folder").
"""

from .engine import assess, plan
from .results import AssessmentResult, read_results

__all__ = ["AssessmentResult", "assess", "plan", "read_results"]
