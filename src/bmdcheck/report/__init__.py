"""Reports: the world map and engagement diagrams of a result set, and the offline HTML report.

On a results folder written by ``bmdcheck assess`` (minutes of work, so shown here as a recipe;
docs/TUTORIAL.md runs it end to end)::

    rs = bc.load_results("results/p4")                  # a ResultSet: provenance, rows, scenario
    bc.plot_map(rs).savefig("map.png")                  # matplotlib Figures
    bc.plot_engagement(rs, "3:aegis-ashore-redzikowo")  # pair CASE:SITE
    bc.write_report("results/p4", out_dir="report")     # the offline HTML report

Contents and formats: docs/REPORTS.md.
"""

from .data import PairDetail, ResultSet, Track, default_pairs, load_results, pair_detail, reason_words, threat_tracks
from .diagram import plot_engagement
from .html import SECTIONS, write_report
from .maps import plot_map

__all__ = ["PairDetail", "ResultSet", "SECTIONS", "Track", "default_pairs", "load_results", "pair_detail",
           "plot_engagement", "plot_map", "reason_words", "threat_tracks", "write_report"]
