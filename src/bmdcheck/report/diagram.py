"""The engagement diagram of one (threat, site, interceptor) pair.

Left: altitude against ground range along the threat's track (the great circle from its launch point
to its aim point; the interceptor's path is projected onto it, the site's cross-track offset is in
the label). Right: altitude against time after the threat's launch, for the threat and the
interceptor, with the timeline marked: detection, track, the decision delay (shaded grey) and
launch; where the site's radar (and the remote radar) sees the threat, shaded on the curve; the
feasible intercept window shaded green; the interceptor's altitude band dotted. When there is no
intercept, the reason is stated in words on both panels.
"""

from __future__ import annotations

import math

import numpy as np

from .data import reason_words

THREAT = "#1565c0"
INTERCEPTOR = "#2e7d32"
WINDOW = "#66bb6a"
RADAR_COLOURS = ["#ffb300", "#8e24aa", "#00acc1"]


def _unit(lat, lon):
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def along_track_km(lat, lon, lat0, lon0, lat1, lon1, radius_km: float = 6371.0):
    """(along, cross) km of points relative to the great circle from point 0 to point 1 (sphere):
    along = arc from point 0 to the point's projection on the circle, cross = signed distance off it."""
    u0, u1, u = _unit(lat0, lon0), _unit(lat1, lon1), _unit(lat, lon)
    n = np.cross(u0, u1)
    n = n / np.linalg.norm(n)
    cross = np.arcsin(np.clip(u @ n, -1, 1))
    p = u - np.outer(u @ n, n) if u.ndim == 2 else u - (u @ n) * n
    p = p / np.linalg.norm(p, axis=-1, keepdims=True)
    e = np.cross(n, u0)
    along = np.arctan2(p @ e, p @ u0)
    return along * radius_km, cross * radius_km


def _titles(fig, d) -> None:
    """The verdict as the title; the pair, timeline mode and window (or reason) below it."""
    rec, row = d.record, d.row
    verdict = "INTERCEPT POSSIBLE" if rec.get("feasible") else "NO INTERCEPT"
    fig.suptitle(f"{row['missile']} ({row.get('shape', '')}) {row.get('launch_area', '')} → {row.get('aim_area', '')}"
                 f"   vs   {row['interceptor']} at {row['site']}:  {verdict}", fontsize=11.5, y=0.975,
                 color="#1b5e20" if rec.get("feasible") else "#b71c1c", fontweight="bold")
    tl = rec.get("timeline") or {}
    sub = f"pair {d.pair_id}; timeline {tl.get('mode')}"
    if rec.get("feasible"):
        sub += (f"; window {rec['first_s']:,.0f}–{rec['last_s']:,.0f} s after threat launch; "
                f"{rec.get('shots', 0)} shoot-look-shoot shot(s)")
    else:
        sub += f"; reason: {rec.get('reason')}"
    fig.text(0.5, 0.905, sub, ha="center", fontsize=8.5, color="#444444")


def _draw_threat(a1, a2, d, x_th) -> None:
    """The threat against ground range (a1) and time (a2), and where each radar sees it."""
    th = d.threat
    a1.plot(x_th, th.alt_m / 1e3, color=THREAT, lw=2, label="threat")
    a2.plot(th.t_s, th.alt_m / 1e3, color=THREAT, lw=2, label="threat")
    for k, (name, vis) in enumerate(d.radar_visible.items()):  # where each radar sees the threat
        if vis.any():
            col = RADAR_COLOURS[k % len(RADAR_COLOURS)]
            y = np.where(vis, th.alt_m / 1e3, np.nan)
            a1.plot(x_th, y, color=col, lw=9, alpha=0.6, solid_capstyle="butt", zorder=1, label=f"seen by {name}")
            a2.plot(th.t_s, y, color=col, lw=9, alpha=0.6, solid_capstyle="butt", zorder=1, label=f"seen by {name}")
        else:
            a2.plot([], [], color="none", label=f"{name} never sees it")


def _draw_interceptor(a1, a2, d, x_th, track) -> None:
    """The interceptor fly-out to its first intercept and the intercept window; track: (lat0, lon0,
    lat1, lon1) of the threat's launch and aim points."""
    rec, th, itr = d.record, d.threat, d.interceptor
    if itr is not None:
        xi, _ = along_track_km(itr.lat_deg, itr.lon_deg, *track)
        a1.plot(xi, itr.alt_m / 1e3, color=INTERCEPTOR, lw=2, label="interceptor (projected on the track)")
        a2.plot(itr.t_s, itr.alt_m / 1e3, color=INTERCEPTOR, lw=2, label="interceptor")
        a1.plot(xi[-1], itr.alt_m[-1] / 1e3, marker="*", color="#c62828", ms=15, ls="none", zorder=6,
                label="first intercept")
        a2.plot(itr.t_s[-1], itr.alt_m[-1] / 1e3, marker="*", color="#c62828", ms=15, ls="none", zorder=6)
    if rec.get("feasible"):
        a2.axvspan(rec["first_s"], rec["last_s"], color=WINDOW, alpha=0.25, label="intercept window")
        sel = (th.t_s >= rec["first_s"]) & (th.t_s <= rec["last_s"])
        a1.plot(x_th[sel], th.alt_m[sel] / 1e3, color=WINDOW, lw=7, alpha=0.45, solid_capstyle="butt",
                label="threat inside the window", zorder=1)


def _draw_timeline(a2, tl, top) -> None:
    """Detection, track and launch times with the decision delay between them."""
    # the timeline
    marks = [("detect_s", "detection", "#6a1b9a"), ("track_s", "track", "#00838f"), ("launch_s", "launch", "#2e7d32")]
    t_det, t_trk, t_l = (tl.get(k) for k in ("detect_s", "track_s", "launch_s"))
    if t_l is not None and (t_det is not None or t_trk is not None):
        t_dec = max(x for x in (t_det, t_trk) if x is not None)
        if t_l > t_dec:
            a2.axvspan(t_dec, t_l, color="#9e9e9e", alpha=0.25, label="decision delay")
    for row_k, (k, name, col) in enumerate(marks):  # labels staggered so that close times stay legible
        t = tl.get(k)
        if t is not None and math.isfinite(t):
            a2.axvline(t, color=col, lw=1.2, ls="--")
            a2.text(t, top * (0.985 - 0.075 * row_k), f" {name} {t:,.0f} s", color=col, fontsize=7.5, va="top",
                    ha="left", bbox=dict(facecolor="white", edgecolor="none", alpha=0.8, pad=0.5))


def plot_engagement(pair, pair_id: str | None = None):
    """Draw the engagement diagram of a pair.

    ``pair``: a ``report.data.PairDetail``, or a ``ResultSet`` / results directory with ``pair_id``
    ('CASE:SITE[:INTERCEPTOR]'). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    from .data import PairDetail, ResultSet, load_results, pair_detail

    if not isinstance(pair, PairDetail):
        rs = pair if isinstance(pair, ResultSet) else load_results(pair)
        if pair_id is None:
            from ..errors import BmdcheckError

            raise BmdcheckError("plot_engagement needs a pair id ('CASE:SITE') with a result set")
        pair = pair_detail(rs, pair_id)
    d = pair
    rec, th = d.record, d.threat
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 5.3), dpi=100, gridspec_kw={"width_ratios": [1.15, 1]})
    fig.subplots_adjust(left=0.065, right=0.985, top=0.83, bottom=0.27, wspace=0.2)
    _titles(fig, d)
    tl = rec.get("timeline") or {}
    if th is None:
        for a in (a1, a2):
            a.text(0.5, 0.5, reason_words(rec.get("reason", "")), ha="center", va="center", transform=a.transAxes)
        return fig
    c = d.row
    lat0, lon0 = c.get("launch_lat", th.lat_deg[0]), c.get("launch_lon", th.lon_deg[0])
    lat1, lon1 = c.get("aim_lat", th.lat_deg[-1]), c.get("aim_lon", th.lon_deg[-1])
    x_th, _ = along_track_km(th.lat_deg, th.lon_deg, lat0, lon0, lat1, lon1)
    _draw_threat(a1, a2, d, x_th)
    xs, cs = along_track_km(np.array([d.site.lat_deg]), np.array([d.site.lon_deg]), lat0, lon0, lat1, lon1)
    a1.plot(xs, [0], marker="s", color="black", ms=7, ls="none", clip_on=False, zorder=5,
            label=f"site ({abs(cs[0]):,.0f} km {'left' if cs[0] > 0 else 'right'} of the track)")
    band = (d.spec.min_alt_m / 1e3, d.spec.max_alt_m / 1e3)
    top = max(float(np.nanmax(th.alt_m)) / 1e3, 1.0) * 1.12
    for a in (a1, a2):
        for b in band:
            if b < top:
                a.axhline(b, color=INTERCEPTOR, ls=":", lw=1)
    a2.plot([], [], color=INTERCEPTOR, ls=":", lw=1, label=f"intercept altitude band {band[0]:g}–{min(band[1], 1e4):g} km")
    _draw_interceptor(a1, a2, d, x_th, (lat0, lon0, lat1, lon1))
    _draw_timeline(a2, tl, top)
    if rec.get("feasible") is False or not rec.get("feasible"):
        words = reason_words(rec.get("reason", ""))
        for a in (a1, a2):
            a.text(0.5, 0.3, "No intercept:\n" + _wrap(words, 46), transform=a.transAxes, ha="center", va="center",
                   fontsize=10, color="#b71c1c", bbox=dict(boxstyle="round", facecolor="white", edgecolor="#b71c1c",
                                                           alpha=0.9), zorder=10)
    a1.set_xlabel("ground range along the threat's track from its launch point, km")
    a2.set_xlabel("time after threat launch, s")
    for a in (a1, a2):
        a.set_ylabel("altitude, km")
        a.set_ylim(0, top)
        a.grid(alpha=0.3)
        a.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False)
    a2.set_xlim(0, float(th.t_s[-1]) * 1.02)
    if d.note:
        fig.text(0.5, 0.01, d.note, ha="center", fontsize=8, color="#b71c1c")
    return fig


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
