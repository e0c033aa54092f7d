"""The Merkle tree over ledger entries, exactly as RFC 9162 §2.1 (Certificate Transparency v2).

Leaf i (0-based; the entry with seq i + 1) is the raw 32 bytes of that entry's ``entry_hash``.
With H = SHA-256 and D[n] the list of n leaves (RFC 9162 §2.1.1):

    MTH({})      = H()                                   (the empty string)
    MTH({d0})    = H(0x00 || d0)                         (leaf hash)
    MTH(D[n])    = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])) for n > 1, k the largest power of two < n

An inclusion proof (audit path, §2.1.3.1) and a consistency proof (§2.1.4.1) are lists of node
hashes; the verifiers follow §2.1.3.2 and §2.1.4.2 step by step. Every function here is pure:
leaves (bytes) in, bytes out. docs/LEDGER.md, "Transparency log", states the same for other
implementations.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """H(0x00 || data): the hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """H(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves (raw data, not yet hashed)."""
    return _mth([leaf_hash(d) for d in leaves], 0, len(leaves))


def prefix_roots(leaves: Sequence[bytes], sizes) -> dict[int, bytes]:
    """MTH of the first ``size`` leaves for every size in ``sizes`` (1 <= size <= n), in one pass.

    Appends leaves to a stack of perfect subtrees (merging equal heights, as a binary counter); the
    root of a prefix is the stack folded from the right, H(0x01 || s0 || H(0x01 || s1 || ...)), which
    is the RFC's split: the largest perfect subtree on the left, the rest on the right. O(n + k log n)
    for k sizes, where calling :func:`root` per size is O(n k).
    """
    want = set(sizes)
    out: dict[int, bytes] = {}
    stack: list[tuple[int, bytes]] = []   # (height, hash)
    for i, d in enumerate(leaves, start=1):
        h, node = 0, leaf_hash(d)
        while stack and stack[-1][0] == h:
            node = node_hash(stack.pop()[1], node)
            h += 1
        stack.append((h, node))
        if i in want:
            r = stack[-1][1]
            for _, left in reversed(stack[:-1]):
                r = node_hash(left, r)
            out[i] = r
    return out


def _check_size(n: int, size: int) -> None:
    if not (1 <= size <= n):
        raise ValueError(f"tree size must be 1 to {n}, got {size}")


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf ``index`` (0-based) in the tree of ``leaves``."""
    n = len(leaves)
    if not (0 <= index < n):
        raise ValueError(f"leaf index must be 0 to {n - 1}, got {index}")
    hashes = [leaf_hash(d) for d in leaves]
    out: list[bytes] = []

    def path(m: int, lo: int, hi: int) -> None:
        if hi - lo == 1:
            return
        k = _split(hi - lo)
        if m < k:
            path(m, lo, lo + k)
            out.append(_mth(hashes, lo + k, hi))
        else:
            path(m - k, lo + k, hi)
            out.append(_mth(hashes, lo, lo + k))

    path(index, 0, n)
    return out


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 for the tree of its first ``first`` leaves (1 <= first <= n)."""
    n = len(leaves)
    _check_size(n, first)
    hashes = [leaf_hash(d) for d in leaves]
    out: list[bytes] = []

    def subproof(m: int, lo: int, hi: int, whole: bool) -> None:
        n_ = hi - lo
        if m == n_:
            if not whole:
                out.append(_mth(hashes, lo, hi))
            return
        k = _split(n_)
        if m <= k:
            subproof(m, lo, lo + k, whole)
            out.append(_mth(hashes, lo + k, hi))
        else:
            subproof(m - k, lo + k, hi, False)
            out.append(_mth(hashes, lo, lo + k))

    subproof(first, 0, n, True)
    return out


def verify_inclusion(leaf_index: int, tree_size: int, leaf_hash_: bytes, audit_path: Sequence[bytes],
                     root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2: True if ``audit_path`` proves leaf ``leaf_index`` (its leaf hash given) in the tree."""
    if not (0 <= leaf_index < tree_size):
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf_hash_
    for p in audit_path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: True if ``proof`` shows the tree of size ``first`` is a prefix of that of ``second``."""
    if not (1 <= first <= second):
        return False
    if first == second:
        return len(proof) == 0 and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:   # an exact power of two: the old root is a node of the new tree
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
