"""Re-measure docs/validation/published.md, "Per sensor tier": feasible trajectories per row and tier.

    PYTHONPATH=src python tools/published_tiers.py

The 2013 set (`epaa-phase4-2013`'s threats) and the 2024 set (`epaa-2024`'s), each trajectory flown as
the assessment flies it (1 s samples); per row one site and interceptor (optionally another burnout
speed) against every trajectory, tiers local / remote (Fylingdales UEWR) / cue (the catalogue's
early warning); the cue cell also gives the count per missile.
"""

import collections

import numpy as np

from bmdcheck.defence.engage import InterceptorSpec, SiteSpec, TimelineSpec, engage_threats
from bmdcheck.defence.interceptor import get_interceptor
from bmdcheck.defence.sensors import get_radar, sensor_catalogue
from bmdcheck.defence.sites import get_site
from bmdcheck.guarantee.flown import FlownCases
from bmdcheck.scenario import load_scenario
from bmdcheck.scenario.expand import threat_cases


def threats(scn):
    """The scenario's threat cases and their flights: the assessment's own (``guarantee.flown``: one
    steering solve and sampled flight per missile and shape, 1 s samples), as a padded Threats batch."""
    cases = threat_cases(load_scenario(scn))
    flown, ids = FlownCases(cases), list(range(len(cases)))
    flown.fly(ids)
    assert all(flown.error[i] is None for i in ids), flown.error
    return cases, flown.threats(ids)


ROWS = [  # (row, site, interceptor, burnout speed m/s or None: the catalogue's)
    ("T-A1", "gbi-third-site-redzikowo-2007", "gbi-2-stage", None),
    ("T-A2", "gbi-third-site-redzikowo-2007", "gbi-2-stage", 9000.0),
    ("T-B", "aegis-ashore-deveselu", "sm-3-ib", None),
    ("T-C", "aegis-ship-norwegian-sea", "sm-3-iib", None),
    ("T-D", "aegis-ashore-redzikowo", "sm-3-iib", None),
    ("T-E", "aegis-ashore-redzikowo", "sm-3-iia", None),
]


def main():
    ew = next(iter(sensor_catalogue().early_warning.values()))
    sets = {k: threats(k) for k in ("epaa-phase4-2013", "epaa-2024")}
    for name, site, ic, bo in ROWS:
        s = get_site(site)
        spec = SiteSpec(s.name, s.lat_deg, s.lon_deg, s.alt_m, get_radar(s.radar) if s.radar else None)
        it = InterceptorSpec.from_catalogue(get_interceptor(ic))
        if bo is not None:
            it = it.with_burnout_speed(bo)
        out = []
        for k, (cases, th) in sets.items():
            cells = []
            for tier in ("local", "remote", "cue"):
                tl = TimelineSpec(tier=tier, early_warning=ew, remote_radars=(get_radar("uewr-fylingdales"),))
                e = engage_threats(th, [spec], [it], tl)
                f = np.array([bool(e.record(i)["feasible"]) for i in range(len(cases))])
                per = collections.Counter(c.missile for c, x in zip(cases, f) if x)
                cells.append(f"{f.sum()}/{len(cases)}" + (f" {dict(per)}" if tier == "cue" else ""))
            out.append(" / ".join(cells))
        print(name, " || ".join(out), flush=True)


if __name__ == "__main__":
    main()
