"""Reports: the world map and engagement diagrams of a result set, and the offline HTML report.

    >>> import bmdcheck as bc
    >>> rs = bc.load_results("results/p4")                       # doctest: +SKIP
    >>> bc.plot_map(rs).savefig("map.png")                       # doctest: +SKIP
    >>> bc.plot_engagement(rs, "3:aegis-ashore-redzikowo")       # doctest: +SKIP
    >>> bc.write_report("results/p4", out_dir="report")          # doctest: +SKIP

Contents and formats: docs/REPORTS.md.
"""

from .data import PairDetail, ResultSet, Track, default_pairs, load_results, pair_detail, reason_words, threat_tracks
from .diagram import plot_engagement
from .html import SECTIONS, write_report
from .maps import plot_map

__all__ = ["PairDetail", "ResultSet", "SECTIONS", "Track", "default_pairs", "load_results", "pair_detail",
           "plot_engagement", "plot_map", "reason_words", "threat_tracks", "write_report"]
