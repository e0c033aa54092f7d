"""The one intercept-window scanner shared by every reach model (fly-out table, Lambert).

A reach model supplies two compiled functions and a record (a NamedTuple of arrays):

- ``classify(model, smp, prs, p, i, m, tl, ws)`` -> ``(code, tof_s, closing_mps, launch_s, aux,
  g_lo, g_hi, g_reach, g_tof, g_slack, g_vc)``: the checks of docs/design/engagement.md at sample m
  of trajectory i for pair p, with the launch ``tl`` (+inf: never launched). ``code`` is an
  ``R_*`` code (R_OK = feasible); ``launch_s`` the latest launch from which this sample passes every
  check but the timeline (NaN if none); where that is at most ``ws[WS_LATEST]`` (the latest launch
  so far), any earlier launch that passes them too and lies on the same side of ``ws[WS_LNEXT]``
  (the next shot's launch: a feasible sample with ``launch_s`` at or above it counts a shot; NaN: no
  shot counted) will do, as neither the latest launch nor the shots can tell them apart; ``aux`` a
  model quantity minimised over the evaluated samples (the Lambert model's Δv; NaN otherwise);
  ``g_*`` the margins (>= 0 passes; ±inf passes/fails with no magnitude; NaN not evaluated) of the
  altitude floor and ceiling, reach, maximum flight time, timeline (launch slack) and closing speed.
- ``bound(model, smp, prs, p, i, c, tl)`` -> ``(kind, ub_launch_s)`` for the chunk c of ``CHUNK``
  samples: ``kind >= 0`` proves that no sample of the chunk passes the checks before the timeline
  and that every sample's code is <= kind; ``kind = -1`` proves nothing, and then ``ub_launch_s`` is
  an upper bound on ``launch_s`` over the chunk's samples (so ``ub < tl`` proves no sample feasible);
  ``kind = KIND_ALL_OK`` (-2) proves moreover that every sample of the chunk passes every check
  (code R_OK), with ``ub`` as for -1.
- ``interior(model, smp, prs, p, i, m, tl)`` -> ``(launch_s, aux)``: at a sample of a KIND_ALL_OK
  chunk, exactly (bit for bit) the ``launch_s`` and ``aux`` that ``classify`` returns there, without
  the margins (the cheap path through window interiors).
- optional (:func:`scan_pair_sub`; the table model has them, the Lambert model not):
  ``sub_bound(model, smp, prs, p, i, f, tl)``, the ``bound`` contract for the sub-chunk f of
  CHUNK // SUB samples (chunk edges, shots and the latest launch then cost a sub-chunk, not a chunk),
  and ``sample_ub(model, smp, prs, p, i, m, tl, lt)``, an upper bound on ``launch_s`` at sample m (+inf:
  none; at or below lt any bound will do, so a model may return a coarser one there), cheaper than
  ``classify``: the latest-launch pass skips a sample whose bound cannot raise the latest launch lt
  found so far.

The scanner (:func:`scan_pair`) owns everything else, once: which chunks to classify, window edges,
duration, shoot-look-shoot shots, the latest-launch diagnostic, the furthest reason, the output row.
Inside a KIND_ALL_OK chunk it classifies only the first and last samples (edges, the margins the
next edge needs) and takes ``interior`` at the samples between while a shot can still fall there
(the chunk's bound is at or above the next shot's launch), else skips them; the latest launch of
a skipped stretch is taken in the latest-launch pass like any other chunk's.

Edge convention (docs/design/engagement.md, "Window edges"): an edge lies between the last sample on
one side and the first on the other, at the fraction where the binding margin crosses zero by linear
interpolation: on entry the last of the failing margins to turn positive, on exit the first passing
margin to turn negative. A check with no magnitude on one side of the edge (visibility, a point
outside the fly-out table, no Lambert transfer) puts its crossing at the midpoint; with no crossing
at all the edge is at the midpoint. A window open at the first (last) sample starts (ends) there.

Pruning is exact: a chunk is skipped only when its bound proves it cannot change the verdict, the
edges, the shots, the latest launch or the reason; every sample that can is classified.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

CHUNK = 32
"""Samples per chunk of the bound search."""
SUB = 4
"""Sub-chunks per chunk for a model with a ``sub_bound`` (:func:`scan_pair_sub`): CHUNK // SUB samples each."""
KIND_ALL_OK = -2
"""``bound`` kind proving every sample of the chunk feasible (see the module docstring)."""
_ALL_OK_COARSE = -3  # scanner-internal: a sub-chunk of a KIND_ALL_OK chunk, its ub still the chunk's
_OPEN_COARSE = -4  # scanner-internal: a sub-chunk of a kind -1 chunk with ub < tl, its own bound not yet taken

# Kernel codes: higher = got further through the checks (engagement.REASONS names them).
R_BELOW, R_ABOVE, R_REACH, R_TOF, R_TRACK, R_OUTRUN, R_VIS, R_OK = range(8)

# Result columns of the scanner.
(C_FEAS, C_REASON, C_FIRST, C_LAST, C_TOF_FIRST, C_TOF_LAST, C_VC_FIRST, C_VC_LAST, C_SHOTS,
 C_IDX_FIRST, C_FRAC_FIRST, C_IDX_LAST, C_FRAC_LAST, C_DURATION, C_LATEST, C_AUX) = range(16)
N_COLS = 15
"""Columns every model fills; C_LATEST: the latest interceptor launch time (s, threat time scale)
at which some sample passes every check but the timeline, NaN if none."""
N_OUT = 16
"""Width of the scanner's output rows: N_COLS + C_AUX (the model's ``aux`` minimum, NaN if none)."""
N_MARGINS = 6
N_WS = 32
"""Scratch floats handed to ``classify`` per pair (the Lambert model's 3-vectors); the last two are
the scanner's, written before each call: ``ws[WS_LATEST]`` the latest launch so far, ``ws[WS_LNEXT]``
the next shot's earliest launch (NaN where no shot is counted: outside the forward pass)."""
WS_LATEST, WS_LNEXT = N_WS - 2, N_WS - 1


class Samples(NamedTuple):
    """Per-trajectory sample arrays (N trajectories, M samples) and chunk summaries (C chunks).

    t_s (N, M); n (N,) samples used; alt_m (N, M) height above the ellipsoid; u (N, M, 3) Earth-fixed
    unit vectors; omega_rad_s the Earth's rotation rate (ECEF = Rz(−ωt) ECI); r_eci_m, v_eci_mps
    (N, M, 3); per chunk: ch_u (N, C, 3) unit centre, ch_rho_rad (N, C) largest angle from it to a
    sample, ch_hmin_m / ch_hmax_m / ch_rmin_m (N, C) smallest / largest altitude and smallest
    geocentric radius of its samples, ch_cos_rho / ch_sin_rho (N, C) cosine and sine of ch_rho_rad.
    """

    t_s: np.ndarray
    n: np.ndarray
    alt_m: np.ndarray
    u: np.ndarray
    omega_rad_s: float
    r_eci_m: np.ndarray
    v_eci_mps: np.ndarray
    ch_u: np.ndarray
    ch_rho_rad: np.ndarray
    ch_hmin_m: np.ndarray
    ch_hmax_m: np.ndarray
    ch_rmin_m: np.ndarray
    ch_cos_rho: np.ndarray
    ch_sin_rho: np.ndarray


class Pairs(NamedTuple):
    """Per (threat, site) pair p, arrays (P,): trajectory and site index, launch time (NaN: never
    launched), the interceptor's altitude band, flight-time and closing-speed limits, the kill
    assessment time; vis_index (P,) into vis (V, N, M) the engagement radar's visibility (-1: none)."""

    traj: np.ndarray
    site: np.ndarray
    t_launch_s: np.ndarray
    min_alt_m: np.ndarray
    max_alt_m: np.ndarray
    min_tof_s: np.ndarray
    max_tof_s: np.ndarray
    min_closing_mps: np.ndarray
    kill_assessment_s: np.ndarray
    vis_index: np.ndarray
    vis: np.ndarray


@njit(cache=True)
def chunk_summaries(u, alt, rad, n, ch_u, ch_rho, ch_hmin, ch_hmax, ch_rmin, L=CHUNK):
    """Fill the chunk summaries of :class:`Samples` for one trajectory's rows (see there), chunks of L
    samples; rad (M,) the samples' geocentric radii."""
    C = ch_rho.shape[0]
    for c in range(C):
        a = c * L
        b = min(a + L, n)
        if a >= b:
            ch_u[c, 0], ch_u[c, 1], ch_u[c, 2] = 0.0, 0.0, 1.0
            ch_rho[c] = 0.0
            ch_hmin[c] = math.inf
            ch_hmax[c] = -math.inf
            ch_rmin[c] = math.inf
            continue
        sx = sy = sz = 0.0
        hmn, hmx, rmn = math.inf, -math.inf, math.inf
        for m in range(a, b):
            sx += u[m, 0]
            sy += u[m, 1]
            sz += u[m, 2]
            if alt[m] < hmn:
                hmn = alt[m]
            if alt[m] > hmx:
                hmx = alt[m]
            if rad[m] < rmn:
                rmn = rad[m]
        sn = math.sqrt(sx * sx + sy * sy + sz * sz)
        if sn > 1e-9:
            cx, cy, cz = sx / sn, sy / sn, sz / sn
            cmin = 1.0
            for m in range(a, b):
                d = cx * u[m, 0] + cy * u[m, 1] + cz * u[m, 2]
                if d < cmin:
                    cmin = d
            ch_u[c, 0], ch_u[c, 1], ch_u[c, 2] = cx, cy, cz
            ch_rho[c] = math.acos(max(-1.0, min(1.0, cmin))) * (1.0 + 1e-9) + 1e-9  # rounding margin
        else:  # directions cancel or are not finite (hostile input): a cap over the whole sphere
            ch_u[c, 0], ch_u[c, 1], ch_u[c, 2] = 0.0, 0.0, 1.0
            ch_rho[c] = math.pi
        ch_hmin[c] = hmn
        ch_hmax[c] = hmx
        ch_rmin[c] = rmn


def summary_arrays(N: int, M: int, chunk: int = CHUNK) -> tuple:
    """Empty chunk-summary arrays (ch_u, ch_rho, ch_hmin, ch_hmax, ch_rmin) for N trajectories of M
    samples in chunks of ``chunk`` samples, for :func:`chunk_summaries` to fill."""
    C = max(1, (M + chunk - 1) // chunk)
    return np.zeros((N, C, 3)), np.zeros((N, C)), np.zeros((N, C)), np.zeros((N, C)), np.zeros((N, C))


def with_trig(summaries: tuple) -> tuple:
    """The ``ch_*`` fields of :class:`Samples`, in order: the filled summaries plus cos and sin of ch_rho."""
    return (*summaries, np.cos(summaries[1]), np.sin(summaries[1]))


@njit(cache=True, inline="always")
def cross(ma, mb):
    """Fraction in [0, 1] where a margin goes from ma to mb through 0 (linear); 0.5 without magnitude."""
    if ma == mb or not (math.isfinite(ma) and math.isfinite(mb)):
        return 0.5
    f = ma / (ma - mb)
    if f < 0.0:
        return 0.0
    if f > 1.0:
        return 1.0
    return f


@njit(cache=True, inline="always")
def visible(prs, p, i, m):
    """Is sample m of trajectory i visible to pair p's engagement radar (True without one)?"""
    k = prs.vis_index[p]
    return k < 0 or prs.vis[k, i, m]


# Scanner state, one small float array per pair.
(S_BEST, S_FIRST, S_LAST, S_TOF_F, S_TOF_L, S_VC_F, S_VC_L, S_IDX_F, S_FR_F, S_IDX_L, S_FR_L, S_DUR,
 S_SHOTS, S_LNEXT, S_LATEST, S_AUX, S_SEG, S_PREV_OK, S_PREV_M, S_P_TOF, S_P_VC) = range(21)
S_P_G = 21  # previous sample's margins, N_MARGINS values
N_STATE = S_P_G + N_MARGINS


@njit(cache=True, inline="always")
def _note(st, code, launch, aux):
    """What every classified sample contributes, in any order: the furthest code, the latest launch,
    the model's minimum."""
    if code > st[S_BEST]:
        st[S_BEST] = code
    if launch > st[S_LATEST]:  # NaN compares false
        st[S_LATEST] = launch
    if aux < st[S_AUX]:
        st[S_AUX] = aux


@njit(cache=True, inline="always")
def _step(st, t, i, m, r, tka):
    """Advance the window state by sample m (consecutive with S_PREV_M, else after a gap of samples
    known not to be feasible). r: the classify tuple."""
    code, tof, vc, launch, aux = r[0], r[1], r[2], r[3], r[4]
    g = (r[5], r[6], r[7], r[8], r[9], r[10])
    _note(st, code, launch, aux)
    tm = t[i, m]
    ok = code == R_OK
    prev_ok = st[S_PREV_OK] > 0.5 and st[S_PREV_M] == m - 1
    known_prev = st[S_PREV_M] == m - 1
    if ok and not prev_ok:
        if m == 0 or not known_prev:
            f = 0.0
            te = tm
            idx = m
            tf, vf = tof, vc
        else:
            f = -1.0
            for k in range(N_MARGINS):
                pa = st[S_P_G + k]
                if pa < 0.0 and g[k] >= 0.0:
                    fk = cross(pa, g[k])
                    if fk > f:
                        f = fk
            if f < 0.0:
                f = 0.5
            t0 = t[i, m - 1]
            te = t0 + f * (tm - t0)
            idx = m - 1
            pt, pv = st[S_P_TOF], st[S_P_VC]
            tf = pt + f * (tof - pt) if math.isfinite(pt) else tof
            vf = pv + f * (vc - pv) if math.isfinite(pv) else vc
        if math.isnan(st[S_FIRST]):
            st[S_FIRST] = te
            st[S_IDX_F] = idx
            st[S_FR_F] = f
            st[S_TOF_F] = tf
            st[S_VC_F] = vf
        st[S_SEG] = te
    if prev_ok and not ok:
        f = 2.0
        for k in range(N_MARGINS):
            pa = st[S_P_G + k]
            if pa >= 0.0 and g[k] < 0.0:
                fk = cross(pa, g[k])
                if fk < f:
                    f = fk
        if f > 1.0:
            f = 0.5
        t0 = t[i, m - 1]
        te = t0 + f * (tm - t0)
        pt, pv = st[S_P_TOF], st[S_P_VC]
        st[S_LAST] = te
        st[S_IDX_L] = m - 1
        st[S_FR_L] = f
        st[S_TOF_L] = pt + f * (tof - pt) if math.isfinite(tof) else pt
        st[S_VC_L] = pv + f * (vc - pv) if math.isfinite(vc) else pv
        st[S_DUR] += te - st[S_SEG]
    if ok and launch >= st[S_LNEXT]:  # shoot-look-shoot: launch after the previous kill assessment
        st[S_SHOTS] += 1.0
        st[S_LNEXT] = tm + tka
    st[S_PREV_OK] = 1.0 if ok else 0.0
    st[S_PREV_M] = m
    st[S_P_TOF] = tof
    st[S_P_VC] = vc
    for k in range(N_MARGINS):
        st[S_P_G + k] = g[k]


@njit(cache=True, inline="always")
def scan_pair(classify, bound, model, smp, prs, p, out, prune):
    """Scan pair p (allocating its scratch): :func:`scan_pair_in` with fresh scratch arrays and a model
    whose bound never proves a whole chunk feasible (no ``interior``)."""
    C = (smp.t_s.shape[1] + CHUNK - 1) // CHUNK
    kind, ub, done, order, ws, st = scratch(C)
    scan_pair_sub(classify, bound, no_interior, no_sub_bound, no_sample_ub, 1, model, smp, prs, p, out, prune, kind, ub,
                  done, order, ws, st)


@njit(cache=True, inline="always")
def no_sample_ub(model, smp, prs, p, i, m, tl, lt=-math.inf):
    """``sample_ub`` of a model without a per-sample bound: +inf (no sample skipped)."""
    return math.inf


@njit(cache=True, inline="always")
def no_interior(model, smp, prs, p, i, m, tl):
    """``interior`` of a model whose bound never returns KIND_ALL_OK (never called)."""
    return math.nan, math.nan


@njit(cache=True, inline="always")
def no_sub_bound(model, smp, prs, p, i, f, tl):
    """``sub_bound`` of a model without sub-chunk bounds (never called: nsub = 1)."""
    return -1, math.inf


@njit(cache=True, inline="always")
def scratch(C):
    """Scratch arrays of :func:`scan_pair_in` for up to C chunks (C·(SUB + 1) for :func:`scan_pair_sub`
    with nsub = SUB: kind also holds a flag per chunk after the sub-chunks): (kind, ub, done, order, ws, st)."""
    return (np.empty(C, dtype=np.int64), np.empty(C), np.zeros(C, dtype=np.bool_), np.empty(C, dtype=np.int64),
            np.empty(N_WS), np.empty(N_STATE))


@njit(cache=True, inline="always")
def scan_pair_in(classify, bound, interior, model, smp, prs, p, out, prune, kind, ub, done, order, ws, st):
    """Scan pair p: :func:`scan_pair_sub` without sub-chunk bounds (nsub = 1)."""
    scan_pair_sub(classify, bound, interior, no_sub_bound, no_sample_ub, 1, model, smp, prs, p, out, prune, kind, ub,
                  done, order, ws, st)


@njit(cache=True, inline="always")
def _all_ok(k):
    return k == KIND_ALL_OK or k == _ALL_OK_COARSE


@njit(cache=True, inline="always")
def _largest_open(kind, ub, done, k0, k1):
    """The sub-chunk in [k0, k1) not yet visited, not proven (kind < 0), of largest finite ub; -1: none
    (ties to the first)."""
    kb = -1
    for k in range(k0, k1):
        if not done[k] and kind[k] < 0 and ub[k] > -math.inf and (kb < 0 or ub[k] > ub[kb]):
            kb = k
    return kb


@njit(cache=True, inline="always")
def _take_sub_bound(sub_bound, model, smp, prs, p, i, k, tl, kind, ub):
    """Take the own bound of sub-chunk k that still has its chunk's (kind <= _ALL_OK_COARSE): kind and
    ub become the sub-chunk's (ub the smaller of the two; a decisive kind: ub = -inf)."""
    # (of a KIND_ALL_OK chunk only its ub is needed: bound it for a launch at +inf, which spares the
    # model its all-feasible test; ub does not depend on tl)
    kf, uf = sub_bound(model, smp, prs, p, i, k, math.inf if kind[k] == _ALL_OK_COARSE else tl)
    if kind[k] == _ALL_OK_COARSE:
        kind[k] = KIND_ALL_OK
        if kf < 0 and uf < ub[k]:
            ub[k] = uf
    else:
        kind[k] = -1 if kf == KIND_ALL_OK else kf  # (the chunk proved it infeasible)
        if kf >= 0:
            ub[k] = -math.inf
        elif uf < ub[k]:
            ub[k] = uf


@njit(cache=True, inline="always")
def scan_pair_sub(classify, bound, interior, sub_bound, sample_ub, nsub, model, smp, prs, p, out, prune, kind, ub,
                  done, order, ws, st, known=False, seed=False):
    """Scan pair p: bound every chunk, classify the samples that matter, write ``out[p]`` (N_OUT).

    ``prune=False`` ignores the bounds (every sample classified): the pruning's reference. Inlined
    into each model's kernel (the model's functions are then compile-time constants, which keeps
    the kernel cacheable). kind, ub, done, order, ws, st: scratch from :func:`scratch` (reused across
    pairs: nothing is allocated here, so a model's per-pair function can be compiled without
    reference counting, ``njit(_nrt=False)``: the arrays read from the model's NamedTuple records
    inside an inlined ``classify`` otherwise cost an NRT incref/decref call each, per sample).

    Sub-chunks (nsub = SUB, a model with ``sub_bound(model, smp, prs, p, i, f, tl)``: the ``bound``
    contract for the f-th run of L = CHUNK // nsub samples): the scan runs on sub-chunks. A chunk
    whose bound is decisive (kind >= 0) passes it to its sub-chunks; a kind -1 chunk that may hold a
    feasible sample (ub >= tl) takes each sub-chunk's own bound (only the sub-chunks that can are
    classified: edges cost a sub-chunk, not a chunk); a KIND_ALL_OK chunk and a kind -1 chunk with
    ub < tl pass theirs on, and the latest-launch pass takes the sub-chunks' own bounds (the smaller
    ub) only for those it may visit.

    ``known``: kind[:C] holds, per chunk, a kind the model has already proven (>= 0, as ``bound``
    would return it, with ub -inf) or -1 (not proven): ``bound`` is called only for the latter (the
    table model's whole-pair pass, ``engagement.table_pair_out``, leaves them there).

    ``sample_ub(model, smp, prs, p, i, m, tl, lt)``: an upper bound on ``launch_s`` at sample m (cheaper
    than ``classify``; +inf: none). The latest-launch pass skips a sample whose bound cannot raise the
    latest launch found so far (once one is found, every code it could still raise is at most R_TRACK,
    which the furthest reason already has: so the reason is unchanged).

    ``seed=True`` (a model whose ``aux`` is NaN, as the table model's: the samples the latest-launch pass
    classifies then change no output): when no latest launch is known yet as that pass starts, it first
    visits the sub-chunk of largest bound, taking the own bounds of that chunk's sub-chunks only, and
    takes the other sub-chunks' own bounds only where their chunk's bound is above the latest launch that
    visit found (not every one's). The latest launch is the same: the largest over every sample whose
    bound is above it, in any order."""
    i = prs.traj[p]
    n = smp.n[i]
    t = smp.t_s
    tl = prs.t_launch_s[p]
    if not math.isfinite(tl):
        tl = math.inf
    tka = prs.kill_assessment_s[p]
    L = CHUNK // nsub
    C = (n + CHUNK - 1) // CHUNK
    F = (n + L - 1) // L
    for c in range(F):
        done[c] = False
    for k in range(N_STATE):
        st[k] = math.nan
    st[S_BEST] = -1.0
    st[S_DUR] = 0.0
    st[S_SHOTS] = 0.0
    st[S_LNEXT] = tl
    st[S_LATEST] = -math.inf
    st[S_AUX] = math.inf
    st[S_PREV_OK] = 0.0
    st[S_PREV_M] = -2.0
    for c in range(C - 1, -1, -1):  # last chunk first: kind[c] (``known``) is read before kind[c·nsub...] is written
        if prune:
            if known and kind[c] >= 0:
                kc, uc = kind[c], -math.inf
            else:
                kc, uc = bound(model, smp, prs, p, i, c, tl)
        else:
            kc, uc = -1, math.inf
        f0 = c * nsub
        f1 = min(f0 + nsub, F)
        if nsub == 1 or kc >= 0 or not prune:
            for f in range(f0, f1):
                kind[f], ub[f] = kc, uc
            if nsub > 1:
                kind[F + c] = 2 if kc >= 0 else 0
        elif kc == KIND_ALL_OK:
            for f in range(f0, f1):
                kind[f], ub[f] = _ALL_OK_COARSE, uc
            kind[F + c] = 0
        elif uc < tl:
            for f in range(f0, f1):
                kind[f], ub[f] = _OPEN_COARSE, uc
            kind[F + c] = 1
        else:
            kind[F + c] = 0
            for f in range(f0, f1):
                kf, uf = sub_bound(model, smp, prs, p, i, f, tl)
                if kf < 0 and uf > uc:
                    uf = uc
                kind[f], ub[f] = kf, uf
    # One loop, one classify call (the model's function is inlined once), three phases:
    # 0. forward, in time order: every chunk that may hold a feasible sample (edges, shots, duration),
    #    with the sample before it (the entry edge needs its margins) and, when a window is open at a
    #    chunk boundary, the first sample after it;
    # 1. the latest launch: chunks whose bound could raise it, largest bound first;
    # 2. the furthest reason: chunks whose codes could exceed it (none of them can be feasible).
    # (chunk = sub-chunk of L samples from here on)
    phase = 0
    c = -1
    m = 0
    end = 0
    cap = 0
    last_ok = False
    n_ord = -1
    cur = 0
    a = 0
    while True:
        if m >= end or (phase == 2 and st[S_BEST] >= cap):
            if phase == 0:
                while True:  # on to the next chunk with a sample to classify (a tight loop past the others)
                    c += 1
                    if nsub > 1:  # past whole chunks proven to hold no feasible sample (no exit edge at their start)
                        while (c < F and c % nsub == 0 and kind[F + c // nsub] >= 1
                               and not (st[S_PREV_OK] > 0.5 and st[S_PREV_M] == c * L - 1)):
                            c += nsub
                    if c >= F:
                        break
                    a = c * L
                    end = min(a + L, n)
                    edge = st[S_PREV_OK] > 0.5 and st[S_PREV_M] == a - 1  # a window open at its start
                    if kind[c] < 0 and ub[c] >= tl:
                        # inside a run of feasible samples (this chunk and the next proven so) with no shot
                        # left in it: no edge, no shot, its latest launch is phase 1's
                        if edge and _all_ok(kind[c]) and ub[c] < st[S_LNEXT] and c + 1 < F and _all_ok(kind[c + 1]):
                            st[S_PREV_M] = end - 1
                            continue
                        break
                    if edge:
                        break
                if c < F:
                    cur = c
                    if kind[c] < 0 and ub[c] >= tl:
                        m = a - 1 if (a > 0 and st[S_PREV_M] != a - 1) else a
                        done[c] = True
                    else:  # the first sample after a window open at the chunk's start (its exit edge)
                        m = a
                        end = a + 1
                    continue
                last_ok = st[S_PREV_OK] > 0.5 and st[S_PREV_M] == n - 1
                phase = 1
            if phase == 1:
                if seed and n_ord == -1 and prune and not st[S_LATEST] > -math.inf:
                    # no latest launch yet: first visit the sub-chunk of largest bound (a chunk's own bound for
                    # sub-chunks that still have it, then theirs), so that the candidates below are only those
                    # above the latest launch it finds, not every sub-chunk with a bound of its own to take
                    n_ord = -2
                    kb = _largest_open(kind, ub, done, 0, F)
                    if kb >= 0 and kind[kb] <= _ALL_OK_COARSE:
                        f0 = kb - kb % nsub
                        f1 = min(f0 + nsub, F)
                        for k in range(f0, f1):
                            if not done[k] and kind[k] <= _ALL_OK_COARSE:
                                _take_sub_bound(sub_bound, model, smp, prs, p, i, k, tl, kind, ub)
                        kb = _largest_open(kind, ub, done, f0, f1)
                    if kb >= 0:
                        cur = kb
                        done[kb] = True
                        m = kb * L
                        end = min(m + L, n)
                        continue
                if n_ord < 0:  # the candidates (taken largest bound first, below)
                    n_ord = 0
                    k = -1
                    while k < F - 1:
                        k += 1
                        if nsub > 1 and k % nsub == 0 and kind[F + k // nsub] == 2:
                            k += nsub - 1
                            continue
                        if done[k] or kind[k] >= 0 or not ub[k] > st[S_LATEST]:
                            continue
                        if kind[k] <= _ALL_OK_COARSE:  # a sub-chunk that still has its chunk's bound
                            _take_sub_bound(sub_bound, model, smp, prs, p, i, k, tl, kind, ub)
                            if kind[k] >= 0 or not ub[k] > st[S_LATEST]:
                                continue
                        order[n_ord] = k
                        n_ord += 1
                # the candidate of largest bound, among those still above the latest launch (the others are
                # dropped: the latest launch only rises), moved to the end and taken. (Cheaper than sorting
                # them all: the first one taken sets a latest launch that leaves only a few.)
                w = 0
                jb = -1
                lt = st[S_LATEST]
                for j in range(n_ord):
                    k = order[j]
                    if ub[k] > lt:
                        order[w] = k
                        if jb < 0 or ub[k] > ub[order[jb]]:
                            jb = w
                        w += 1
                n_ord = w
                if jb >= 0:
                    cb = order[jb]
                    order[jb] = order[n_ord - 1]
                    n_ord -= 1
                    cur = cb
                    done[cb] = True
                    m = cb * L
                    end = min(m + L, n)
                    continue
                phase = 2
                c = -1
            c += 1
            while c < F:
                cap = R_TRACK if kind[c] < 0 else kind[c]
                if not done[c] and cap > st[S_BEST]:
                    break
                if nsub > 1 and c % nsub == 0 and kind[F + c // nsub] == 2:
                    c += nsub  # its sub-chunks share the chunk's kind (and none is done)
                else:
                    c += 1
            if c >= F:
                break
            cur = c
            m = c * L
            end = min(m + L, n)
            continue
        if phase == 1 and prune and st[S_LATEST] > -math.inf:  # past the samples that cannot raise it
            lt = st[S_LATEST]
            while m < end and not sample_ub(model, smp, prs, p, i, m, tl, lt) > lt:
                m += 1
            if m >= end:
                continue
        if _all_ok(kind[cur]):  # every sample of the chunk feasible: only launch times matter
            if phase == 1:
                la, ax = interior(model, smp, prs, p, i, m, tl)
                _note(st, R_OK, la, ax)
                m += 1
                continue
            # inside a run of feasible samples (the previous one feasible, this one and the next too):
            # no edge here, so no margins needed
            if (phase == 0 and a <= m and st[S_PREV_OK] > 0.5 and st[S_PREV_M] == m - 1
                    and (m < end - 1 or (cur + 1 < F and _all_ok(kind[cur + 1])))):
                if ub[cur] < st[S_LNEXT]:  # no shot left in the chunk: past it (its latest launch is phase 1's)
                    done[cur] = False
                    if cur + 1 < F and _all_ok(kind[cur + 1]):
                        st[S_PREV_M] = end - 1
                        m = end
                    else:  # on to its last sample (the state for the next edge)
                        st[S_PREV_M] = end - 2
                        m = end - 1
                    continue
                la, ax = interior(model, smp, prs, p, i, m, tl)
                _note(st, R_OK, la, ax)
                if la >= st[S_LNEXT]:
                    st[S_SHOTS] += 1.0
                    st[S_LNEXT] = t[i, m] + tka
                st[S_PREV_M] = m
                m += 1
                continue
        ws[WS_LATEST] = st[S_LATEST]
        ws[WS_LNEXT] = st[S_LNEXT] if phase == 0 else math.nan
        r = classify(model, smp, prs, p, i, m, tl, ws)
        if phase == 0:
            _step(st, t, i, m, r, tka)
        else:
            _note(st, r[0], r[3], r[4])
        m += 1
    feas = not math.isnan(st[S_FIRST])
    if last_ok:
        tm = t[i, n - 1]
        st[S_LAST] = tm
        st[S_IDX_L] = n - 1
        st[S_FR_L] = 0.0
        st[S_TOF_L] = st[S_P_TOF]
        st[S_VC_L] = st[S_P_VC]
        st[S_DUR] += tm - st[S_SEG]
    out[p, C_FEAS] = 1.0 if feas else 0.0
    out[p, C_REASON] = R_OK if feas else max(st[S_BEST], 0.0)
    if feas:
        out[p, C_FIRST] = st[S_FIRST]
        out[p, C_LAST] = st[S_LAST]
        out[p, C_TOF_FIRST] = st[S_TOF_F]
        out[p, C_TOF_LAST] = st[S_TOF_L]
        out[p, C_VC_FIRST] = st[S_VC_F]
        out[p, C_VC_LAST] = st[S_VC_L]
        out[p, C_IDX_FIRST] = st[S_IDX_F]
        out[p, C_FRAC_FIRST] = st[S_FR_F]
        out[p, C_IDX_LAST] = st[S_IDX_L]
        out[p, C_FRAC_LAST] = st[S_FR_L]
        out[p, C_DURATION] = st[S_DUR]
    else:
        for k in range(C_FIRST, C_DURATION):
            out[p, k] = math.nan
        out[p, C_DURATION] = 0.0
    out[p, C_SHOTS] = st[S_SHOTS]
    out[p, C_LATEST] = st[S_LATEST] if st[S_LATEST] > -math.inf else math.nan
    out[p, C_AUX] = st[S_AUX] if st[S_AUX] < math.inf else math.nan
