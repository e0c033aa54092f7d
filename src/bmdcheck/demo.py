"""`make demo`: the main job on embedded defaults.

Until the assessment engine lands, this flies the catalogue's ICBMs from public ICBM-field
locations to a few US aim points and prints a table.
"""

from __future__ import annotations

from rich.table import Table

# Public locations (catalogue-sources.md §6.2: GeoNames town points of the 2024 ICBM divisions).
LAUNCH_SITES = {
    "Kozelsk": (54.038, 35.772),
    "Tatishchevo": (51.670, 45.595),
    "Yoshkar-Ola": (56.639, 47.891),
    "Novosibirsk": (55.042, 82.935),
}
AIM_POINTS = {
    "Washington DC": (38.895, -77.036),
    "New York": (40.713, -74.006),
    "Chicago": (41.878, -87.630),
}


def run_demo(console) -> None:
    from .flight.missile import catalogue
    from .flight.trajectory import fly
    from .errors import BmdcheckError

    cat = catalogue()
    icbms = [m for m in cat.values() if m.cls == "icbm"]
    t = Table(title="ICBM flights from public ICBM-field locations (min-energy, WGS84 + J2, rotating, USSA76)")
    for c in ("missile", "from", "to", "range km", "flight min", "apogee km", "burnout m/s", "γ bo °"):
        t.add_column(c, justify="right" if c not in ("missile", "from", "to") else "left")
    for m in icbms:
        for src, p0 in LAUNCH_SITES.items():
            for dst, p1 in AIM_POINTS.items():
                try:
                    tr = fly(m, p0, p1, "min-energy")
                except BmdcheckError as e:
                    t.add_row(m.name, src, dst, "—", "—", "—", "—", str(e)[:40])
                    continue
                t.add_row(m.name, src, dst, f"{tr.range_km:,.0f}", f"{tr.flight_time_s / 60:.1f}",
                          f"{tr.apogee_km:,.0f}", f"{tr.burnout_speed_mps:,.0f}", f"{tr.burnout_fpa_deg:.1f}")
    console.print(t)
