"""``flyout._wrap_pi`` (the fan deflection's wrap to [−π, π) without fmod) equals Python's float
modulo expression ``(q + π) % 2π − π`` bit for bit, signed zeros included."""

import math

import numpy as np
from numba import njit

from bmdcheck.defence.flyout import _wrap_pi


@njit(cache=False)
def _wrap_many(q, out):
    for k in range(q.shape[0]):
        out[k] = _wrap_pi(q[k])


def test_wrap_equals_the_modulo_expression_bit_for_bit():
    rng = np.random.default_rng(3)
    two_pi = 2 * math.pi
    edges = [x - math.pi for x in (0.0, -0.0, two_pi, -two_pi, 2 * two_pi, -2 * two_pi, math.pi, -math.pi)]
    edges += [np.nextafter(e, s) for e in edges for s in (-np.inf, np.inf)]
    q = np.concatenate([edges, rng.uniform(-4 * math.pi, 6 * math.pi, 200_000),
                        rng.uniform(-1e3, 1e3, 20_000), [1e300, -1e300, 0.0, -0.0]])
    got = np.empty_like(q)
    _wrap_many(q, got)
    want = np.array([(x + math.pi) % two_pi - math.pi for x in q.tolist()])
    assert np.array_equal(got.view(np.int64), want.view(np.int64))  # same bits, signs of zero too
