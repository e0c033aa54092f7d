"""Published reconstructions of lofted North Korean tests, reproduced within stated bands
(docs/validation/reconstruct.md; numbers and sources in bmdcheck.reconstruct.published).

Bands: the fitted missile's maximum range (template minuteman-iii) within 10 % of an "about X" figure
and at least 0.95 X for "more than X"; the vacuum same-burnout-speed standard range between 0.75 X and
X for "about" and "up to" figures (it leaves out the smaller gravity loss of a flatter boost, so it is
low by design), and at least 0.95 X for the one "more than" figure it can meet (Hwasong-17, 15,000 km);
every observed flight time passes the consistency check
and the fitted flight's time is within 5 % of it."""

import pytest

from bmdcheck.reconstruct import reconstruct
from bmdcheck.reconstruct.fit import fit_missile
from bmdcheck.reconstruct.published import TESTS


@pytest.mark.parametrize("t", TESTS, ids=[t["id"] for t in TESTS])
def test_published_reconstruction(t):
    v = reconstruct(t["apogee_km"], t["range_km"], flight_time_s=t["flight_time_s"])
    assert v["flight_time_check"]["consistent"]
    _, fit = fit_missile(t["apogee_km"], t["range_km"], template="minuteman-iii")
    assert fit["flight_time_s"] == pytest.approx(t["flight_time_s"], rel=0.05)
    for who, how, km, _src in t["published"]:
        if how in ("about", "up to"):
            assert 0.9 * km <= fit["max_range_km"] <= 1.1 * km, who
            assert 0.75 * km <= v["standard_range_km"] <= km, who
        else:
            assert fit["max_range_km"] >= 0.95 * km, who
            if how == "more than" and km >= 15_000:
                assert v["standard_range_km"] >= 0.95 * km, who
