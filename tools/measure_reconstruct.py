"""Regenerate the side-by-side table of docs/validation/reconstruct.md (published lofted tests).

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python tools/measure_reconstruct.py
"""

from bmdcheck.reconstruct import reconstruct
from bmdcheck.reconstruct.fit import fit_missile
from bmdcheck.reconstruct.published import TESTS


def main():
    print("| test | observed (apogee / range / time) | published | vacuum burnout, standard range | full model: "
          "rotating east / west | fitted minuteman-iii: payload, flight time, max range | fitted aps-liquid-icbm: max range |")
    print("|---|---|---|---|---|---|---|")
    for t in TESTS:
        v = reconstruct(t["apogee_km"], t["range_km"], flight_time_s=t["flight_time_s"])
        f = reconstruct(t["apogee_km"], t["range_km"], launch=t["launch"], azimuth_deg=t["azimuth_deg"])
        _, mm = fit_missile(t["apogee_km"], t["range_km"], template="minuteman-iii")
        try:
            _, al = fit_missile(t["apogee_km"], t["range_km"], template="aps-liquid-icbm")
            al_txt = f"{al['max_range_km']:,.0f} km" + (" (global)" if al["max_range_km"] > 19_900 else "")
        except Exception as e:  # noqa: BLE001
            al_txt = f"no fit ({e})"
        pub = "; ".join(f"{who}: {how} {km:,.0f} km" for who, how, km, _ in t["published"])
        r = f["standard_range_rotating_by_direction_km"]
        mr = f"{mm['max_range_km']:,.0f} km" + (" (global)" if mm["max_range_km"] > 19_900 else "")
        print(f"| {t['id']} | {t['apogee_km']:,.1f} km / {t['range_km']:,.0f} km / {t['flight_time_s']:,.0f} s | {pub} | "
              f"{v['burnout_speed_mps']:,.0f} m/s at {v['burnout_angle_deg']:.1f}°, {v['standard_range_km']:,.0f} km "
              f"(free flight {v['free_flight_time_s']:,.0f} s) | {r['east']:,.0f} / {r['west']:,.0f} km | "
              f"{mm['payload_kg']:,.0f} kg, {mm['flight_time_s']:,.0f} s, {mr} | {al_txt} |")


if __name__ == "__main__":
    main()
