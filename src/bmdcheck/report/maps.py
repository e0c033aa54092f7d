"""The world map of a result set (cartopy, Natural Earth shipped with the package: no download).

Azimuthal equidistant projection centred on the scenario, so great-circle tracks and reach
circles keep their shape; land shaded, coastlines and borders at 1:50m. Drawn: launch areas
(red triangles) and aim areas (black crosses), threat ground tracks coloured by whether any site
can engage them (blue solid: engageable; orange dashed: not), first intercept points (red dots),
interceptor sites (black squares), each interceptor type's reach footprint at chosen target
altitudes (coloured rings, one line style per altitude: ``report.data.reach_range_m``), radar
coverage for targets at 300 km (shaded: ``report.data.radar_ground_range_m``), and the fly-out
paths of the pairs given. Every element is in the legend.
"""

from __future__ import annotations

import math
from importlib import resources

import numpy as np

FOOTPRINT_ALT_KM = (100.0, 300.0)
ENGAGEABLE = "#1565c0"
NOT_ENGAGEABLE = "#ef6c00"
INTERCEPTOR = "#2e7d32"
RADAR = "#4682b4"
REACH_COLOURS = ["#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#5d4037"]
ALT_STYLES = ["--", ":", "-."]


def natural_earth_root() -> str:
    """The shipped Natural Earth directory, in cartopy's ``pre_existing_data_dir`` layout."""
    return str(resources.files("bmdcheck.data").joinpath("natural_earth"))


def use_shipped_natural_earth() -> None:
    """Point cartopy at the shipped shapefiles (it would otherwise download them)."""
    import cartopy

    cartopy.config["pre_existing_data_dir"] = natural_earth_root()


def _centre(lat, lon):
    la, lo = np.radians(lat), np.radians(lon)
    v = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]).mean(axis=0)
    return math.degrees(math.atan2(v[2], math.hypot(v[0], v[1]))), math.degrees(math.atan2(v[1], v[0]))


def _ring(lat, lon, dist_m, n=181):
    from ..earth.frames import geodesic_direct

    az = np.linspace(0.0, 360.0, n)
    la, lo = geodesic_direct(np.full(n, lat), np.full(n, lon), az, np.full(n, dist_m))
    return la, lo


def base_axes(lat_pts, lon_pts, fig=None, rect=(0.01, 0.12, 0.98, 0.80)):
    """A map axes (azimuthal equidistant) framing the given points, with land, coasts, borders."""
    import cartopy.crs as ccrs
    import cartopy.feature as cfeature
    import matplotlib.pyplot as plt

    use_shipped_natural_earth()
    clat, clon = _centre(np.asarray(lat_pts), np.asarray(lon_pts))
    proj = ccrs.AzimuthalEquidistant(central_longitude=clon, central_latitude=clat)
    fig = fig or plt.figure(figsize=(10, 7.2), dpi=100)
    ax = fig.add_axes(rect, projection=proj)
    xy = proj.transform_points(ccrs.Geodetic(), np.asarray(lon_pts, float), np.asarray(lat_pts, float))
    x0, x1 = np.nanmin(xy[:, 0]), np.nanmax(xy[:, 0])
    y0, y1 = np.nanmin(xy[:, 1]), np.nanmax(xy[:, 1])
    w, h = max(x1 - x0, 5e5), max(y1 - y0, 5e5)
    # keep the figure's aspect so that nothing is cut off
    aspect = rect[3] * fig.get_figheight() / (rect[2] * fig.get_figwidth())
    if h / w < aspect:
        h = w * aspect
    else:
        w = h / aspect
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    ax.set_extent([cx - 0.6 * w, cx + 0.6 * w, cy - 0.6 * h, cy + 0.6 * h], crs=proj)
    ax.set_facecolor("#eaf2f8")
    ax.add_feature(cfeature.NaturalEarthFeature("physical", "land", "110m"), facecolor="#f3efe6", edgecolor="none",
                   zorder=0)
    ax.add_feature(cfeature.NaturalEarthFeature("physical", "coastline", "50m"), facecolor="none",
                   edgecolor="#555555", linewidth=0.6, zorder=1)
    ax.add_feature(cfeature.NaturalEarthFeature("cultural", "admin_0_boundary_lines_land", "50m"),
                   facecolor="none", edgecolor="#999999", linewidth=0.4, linestyle=(0, (4, 2)), zorder=1)
    gl = ax.gridlines(draw_labels=False, linewidth=0.3, color="#aaaaaa", alpha=0.7)
    gl.xlocator = __import__("matplotlib.ticker", fromlist=["FixedLocator"]).FixedLocator(np.arange(-180, 181, 30))
    return fig, ax


def _draw_radars(ax, rad, radar_alt_km, rcs_m2, legend) -> None:
    """Radar coverage for targets at radar_alt_km (sectors for limited-azimuth radars) and the radars."""
    import cartopy.crs as ccrs
    from matplotlib.patches import Patch

    from .data import radar_ground_range_m

    geo = ccrs.Geodetic()
    # radar coverage
    for r in rad:
        g = radar_ground_range_m(r, radar_alt_km * 1e3, rcs_m2)
        if g <= 0:
            continue
        if r.azimuth_min_deg is None:
            la, lo = _ring(r.lat_deg, r.lon_deg, g)
        else:
            from ..earth.frames import geodesic_direct

            az = r.azimuth_min_deg + np.linspace(0.0, r.azimuth_width_deg, 91)
            la, lo = geodesic_direct(np.full(91, r.lat_deg), np.full(91, r.lon_deg), az, np.full(91, g))
            la = np.concatenate([[r.lat_deg], la, [r.lat_deg]])
            lo = np.concatenate([[r.lon_deg], lo, [r.lon_deg]])
        # fill in projected coordinates: a ring handed to cartopy's Geodetic transform may be taken
        # as the outside of the polygon (the whole globe shaded)
        xy = ax.projection.transform_points(geo, np.asarray(lo, float), np.asarray(la, float))
        ax.fill(xy[:, 0], xy[:, 1], facecolor=RADAR, alpha=0.16, edgecolor=RADAR, linewidth=0.8, zorder=2)
        ax.plot(r.lon_deg, r.lat_deg, marker="^", color=RADAR, markersize=6, transform=geo, zorder=6)
    if rad:
        legend.append(Patch(facecolor=RADAR, alpha=0.3, edgecolor=RADAR,
                            label=f"radar coverage (targets at {radar_alt_km:g} km, RCS {rcs_m2:g} m²)"))


def _draw_reach(ax, defence, footprint_alt_km, legend) -> None:
    """Reach footprints of every site at each target altitude, one colour per interceptor type."""
    import cartopy.crs as ccrs
    from matplotlib.lines import Line2D

    from .data import reach_range_m

    geo = ccrs.Geodetic()
    # reach footprints, one colour per interceptor type
    types = []
    for sp, it, _ in defence:
        if it.name not in types:
            types.append(it.name)
    for sp, it, _ in defence:
        col = REACH_COLOURS[types.index(it.name) % len(REACH_COLOURS)]
        for k, alt in enumerate(footprint_alt_km):
            R = reach_range_m(it, alt * 1e3)
            if R > 0:
                la, lo = _ring(sp.lat_deg, sp.lon_deg, R)
                ax.plot(lo, la, transform=geo, color=col, linestyle=ALT_STYLES[k % len(ALT_STYLES)], linewidth=1.1,
                        zorder=3)
    for name in types:
        legend.append(Line2D([], [], color=REACH_COLOURS[types.index(name) % len(REACH_COLOURS)], linewidth=2,
                             label=f"{name} reach"))
    for k, alt in enumerate(footprint_alt_km):
        legend.append(Line2D([], [], color="#444444", linestyle=ALT_STYLES[k % len(ALT_STYLES)], linewidth=1.1,
                             label=f"reach at {alt:g} km target altitude"))


def _draw_tracks(ax, tracks, legend) -> None:
    """Threat ground tracks, solid where a site can engage the threat, dashed where none can."""
    import cartopy.crs as ccrs
    from matplotlib.lines import Line2D

    geo = ccrs.Geodetic()
    # threat tracks
    n_eng = n_not = 0
    for tr in tracks.values():
        eng = bool(tr.properties.get("feasible"))
        n_eng += eng
        n_not += not eng
        ax.plot(tr.lon_deg, tr.lat_deg, transform=geo, color=ENGAGEABLE if eng else NOT_ENGAGEABLE,
                linestyle="-" if eng else (0, (5, 2)), linewidth=1.6 if eng else 1.3, alpha=0.9, zorder=4)
    legend.append(Line2D([], [], color=ENGAGEABLE, linewidth=1.8, label=f"threat engageable by a site ({n_eng})"))
    legend.append(Line2D([], [], color=NOT_ENGAGEABLE, linestyle=(0, (5, 2)), linewidth=1.5,
                         label=f"threat not engageable ({n_not})"))


def _draw_intercepts(ax, rs, details, legend) -> None:
    """First intercept points of the feasible nominal rows and the given fly-out paths."""
    import cartopy.crs as ccrs
    from matplotlib.lines import Line2D

    geo = ccrs.Geodetic()
    # intercepts and fly-outs
    rows = [r for r in rs.nominal_rows() if r["feasible"] and np.isfinite(r.get("intercept_lat") or math.nan)]
    if rows:
        ax.scatter([r["intercept_lon"] for r in rows], [r["intercept_lat"] for r in rows], s=14, color="#c62828",
                   transform=ccrs.PlateCarree(), zorder=7)
        legend.append(Line2D([], [], marker="o", color="#c62828", linestyle="none", markersize=5,
                             label="first intercept point"))
    drawn = False
    for d in details:
        if d.interceptor is not None:
            ax.plot(d.interceptor.lon_deg, d.interceptor.lat_deg, transform=geo, color=INTERCEPTOR, linewidth=2.2,
                    zorder=6)
            drawn = True
    if drawn:
        legend.append(Line2D([], [], color=INTERCEPTOR, linewidth=2.2, label="interceptor fly-out (diagrams below)"))


def _draw_places(ax, rs, cases, defence, has_radars, legend) -> None:
    """Launch and aim points with their area names, area polygons and interceptor sites."""
    import cartopy.crs as ccrs
    from matplotlib.lines import Line2D

    geo = ccrs.Geodetic()
    # areas and sites
    seen = set()
    for c in cases:
        for (la, lo, nm, mk, col) in ((c.launch_lat, c.launch_lon, c.launch_area, "^", "#b71c1c"),
                                      (c.aim_lat, c.aim_lon, c.aim_area, "X", "#212121")):
            ax.plot(lo, la, marker=mk, color=col, markersize=8, transform=geo, zorder=8, linestyle="none")
            if nm not in seen:
                seen.add(nm)
                ax.text(lo, la, f"  {nm}", transform=ccrs.PlateCarree(), fontsize=8, color=col, zorder=9,
                        va="center")
    for name, area in rs.scenario.areas.items():
        if area.polygon is not None:
            v = np.asarray(area.polygon, float)
            ax.plot(np.append(v[:, 1], v[0, 1]), np.append(v[:, 0], v[0, 0]), transform=geo, color="#6d4c41",
                    linewidth=1.0, zorder=5)
    legend.append(Line2D([], [], marker="^", color="#b71c1c", linestyle="none", markersize=7, label="launch point"))
    legend.append(Line2D([], [], marker="X", color="#212121", linestyle="none", markersize=7, label="aim point"))
    for sp, _, _ in defence:
        ax.plot(sp.lon_deg, sp.lat_deg, marker="s", color="black", markersize=6, transform=geo, zorder=9,
                linestyle="none")
        ax.text(sp.lon_deg, sp.lat_deg, f" {sp.name}", transform=ccrs.PlateCarree(), fontsize=7, zorder=9,
                va="bottom")
    legend.append(Line2D([], [], marker="s", color="black", linestyle="none", markersize=6, label="interceptor site"))
    if has_radars:
        legend.append(Line2D([], [], marker="^", color=RADAR, linestyle="none", markersize=6, label="radar"))


def plot_map(results, *, pairs=None, footprint_alt_km=FOOTPRINT_ALT_KM, radar_alt_km: float = 300.0,
             tracks=None, details=None, title: str | None = None):
    """Draw the scenario map of a result set (a ``ResultSet`` or a results directory path).

    ``pairs``: pair ids whose interceptor fly-out paths are drawn (default: none; ``details`` may
    pass already computed ``PairDetail`` objects). ``footprint_alt_km``: target altitudes of the
    reach footprints. Returns the matplotlib Figure.
    """
    from .data import ResultSet, load_results, pair_detail, radars, threat_tracks

    rs = results if isinstance(results, ResultSet) else load_results(results)
    tracks = tracks if tracks is not None else threat_tracks(rs)
    details = list(details or []) + [pair_detail(rs, p, tracks) for p in (pairs or [])]
    cases = rs.cases()
    defence = rs.defence()
    tl = rs.timeline()
    rad = radars(rs)
    # points that must be in the frame
    lat_pts = [c.launch_lat for c in cases] + [c.aim_lat for c in cases] + [sp.lat_deg for sp, _, _ in defence]
    lon_pts = [c.launch_lon for c in cases] + [c.aim_lon for c in cases] + [sp.lon_deg for sp, _, _ in defence]
    for tr in tracks.values():
        lat_pts += list(tr.lat_deg[::20])
        lon_pts += list(tr.lon_deg[::20])
    fig, ax = base_axes(lat_pts, lon_pts)
    legend = []
    _draw_radars(ax, rad, radar_alt_km, tl.rcs_m2, legend)
    _draw_reach(ax, defence, footprint_alt_km, legend)
    _draw_tracks(ax, tracks, legend)
    _draw_intercepts(ax, rs, details, legend)
    _draw_places(ax, rs, cases, defence, bool(rad), legend)
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=7.5, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(title or f"{rs.name}: which threat trajectories can the defence engage?", fontsize=12, y=0.975)
    tier = f"sensor tier {rs.tier} (engageability rests on it; other tiers in the report's tier table); " \
        if rs.has_tiers() else ""
    fig.text(0.5, 0.935, f"{tier}nominal case (draw 0); {len(tracks)} trajectories, {len(defence)} site/interceptor "
             f"entries; azimuthal equidistant map", ha="center", fontsize=8, color="#444444")
    return fig
