"""The RFC 9162 §2.1 Merkle tree: published test vectors, and every proof up to size 64 checked by a
separate minimal verifier written here with nothing but hashlib (recursive, unlike the library's
bit-walking verifiers of §2.1.3.2 / §2.1.4.2)."""

import hashlib

import pytest

from bmdcheck.ledger import merkle as M

# Test vectors: the eight leaves and the roots of the trees of their first 1..8 leaves, and proofs,
# published with the RFC 6962 / 9162 Merkle tree code of Certificate Transparency and transparency-dev
# (github.com/transparency-dev/merkle, proof/verify_test.go). Numbers only.
LEAVES = [bytes.fromhex(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# (leaf number, 1-based; tree size; audit path)
INCLUSION = [(1, 1, []),
             (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
             (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
             (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
             (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"])]
# (first size, second size, proof)
CONSISTENCY = [(1, 1, []),
               (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
               (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
               (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
               (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                       "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"])]


# ---- a separate minimal verifier: hashlib only, recursive on the RFC's split --------------------

def _h(b):
    return hashlib.sha256(b).digest()


def _k(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mini_root_from_path(index, size, leaf_h, path):
    """The root an audit path implies; raises on a path of the wrong length."""
    if size == 1:
        assert not path, "path too long"
        return leaf_h
    k, rest, sib = _k(size), path[:-1], path[-1]
    if index < k:
        return _h(b"\x01" + mini_root_from_path(index, k, leaf_h, rest) + sib)
    return _h(b"\x01" + sib + mini_root_from_path(index - k, size - k, leaf_h, rest))


def mini_roots_from_consistency(m, n, proof, old_root):
    """(root of the first m leaves, root of all n) implied by a consistency proof; consumes it from the end."""
    proof = list(proof)

    def f(m, n, whole):
        if m == n:
            if whole:
                return old_root, old_root
            x = proof.pop()
            return x, x
        k, sib = _k(n), proof.pop()
        if m <= k:
            a, s = f(m, k, whole)
            return a, _h(b"\x01" + s + sib)
        a, s = f(m - k, n - k, False)
        return _h(b"\x01" + sib + a), _h(b"\x01" + sib + s)

    a, s = f(m, n, True)
    assert not proof, "proof too long"
    return a, s


def mini_verify_inclusion(index, size, leaf_h, path, root):
    try:
        return 0 <= index < size and mini_root_from_path(index, size, leaf_h, list(path)) == root
    except (AssertionError, IndexError):
        return False


def mini_verify_consistency(m, n, proof, old_root, new_root):
    if m == n:
        return not proof and old_root == new_root
    try:
        return 1 <= m < n and mini_roots_from_consistency(m, n, proof, old_root) == (old_root, new_root)
    except (AssertionError, IndexError):
        return False


def mini_root(leaves):
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return _h(b"\x00" + leaves[0])
    k = _k(len(leaves))
    return _h(b"\x01" + mini_root(leaves[:k]) + mini_root(leaves[k:]))


# ---- the published vectors ------------------------------------------------------------------------

def test_roots_of_the_published_vectors():
    assert M.root([]).hex() == EMPTY
    assert [M.root(LEAVES[:n]).hex() for n in range(1, 9)] == ROOTS


@pytest.mark.parametrize("leaf, size, path", INCLUSION)
def test_inclusion_vectors(leaf, size, path):
    got = M.inclusion_path(leaf - 1, LEAVES[:size])
    assert [h.hex() for h in got] == path
    lh, root = M.leaf_hash(LEAVES[leaf - 1]), bytes.fromhex(ROOTS[size - 1])
    assert M.verify_inclusion(leaf - 1, size, lh, got, root)
    assert mini_verify_inclusion(leaf - 1, size, lh, got, root)


@pytest.mark.parametrize("m, n, proof", CONSISTENCY)
def test_consistency_vectors(m, n, proof):
    got = M.consistency_proof(m, LEAVES[:n])
    assert [h.hex() for h in got] == proof
    r1, r2 = bytes.fromhex(ROOTS[m - 1]), bytes.fromhex(ROOTS[n - 1])
    assert M.verify_consistency(m, n, r1, r2, got)
    assert mini_verify_consistency(m, n, got, r1, r2)


# ---- every size up to 64, both verifiers, and corrupted proofs rejected ----------------------------

LEAVES64 = [hashlib.sha256(b"entry %d" % i).digest() for i in range(64)]   # 32-byte leaves, like entry hashes


def test_every_inclusion_proof_up_to_64():
    for n in range(1, 65):
        leaves = LEAVES64[:n]
        root = M.root(leaves)
        assert root == mini_root(leaves)
        for i in range(n):
            path = M.inclusion_path(i, leaves)
            lh = M.leaf_hash(leaves[i])
            assert mini_verify_inclusion(i, n, lh, path, root), (i, n)
            assert M.verify_inclusion(i, n, lh, path, root)
            if path:   # a flipped bit, a dropped or an extra node, the wrong index: rejected by both
                bad = [path[0][:1] + bytes([path[0][1] ^ 4]) + path[0][2:]] + path[1:]
                for args in ((i, n, lh, bad), (i, n, lh, path[:-1]), (i, n, lh, path + [root]),
                             ((i + 1) % n, n, lh, path)):
                    assert not mini_verify_inclusion(*args, root) and not M.verify_inclusion(*args, root), (i, n)
            assert not M.verify_inclusion(i, n, M.leaf_hash(b"other"), path, root)


def test_every_consistency_proof_up_to_64():
    for n in range(1, 65):
        leaves = LEAVES64[:n]
        r2 = M.root(leaves)
        for m in range(1, n + 1):
            proof = M.consistency_proof(m, leaves)
            r1 = M.root(leaves[:m])
            assert mini_verify_consistency(m, n, proof, r1, r2), (m, n)
            assert M.verify_consistency(m, n, r1, r2, proof), (m, n)
            if proof:
                bad = [proof[-1][:1] + bytes([proof[-1][1] ^ 16]) + proof[-1][2:]] + proof[:-1]
                bad = proof[:-1] + [bad[0]]
                for args in ((m, n, r1, r2, bad), (m, n, r1, r2, proof[:-1]), (m, n, r1, r2, proof + [r1]),
                             (m, n, r2, r1, proof)):
                    assert not M.verify_consistency(*args), (m, n)
                    mm, nn, a, b, p = args
                    assert not mini_verify_consistency(mm, nn, p, a, b), (m, n)
            # a different history of the first m leaves is never consistent
            forked = [hashlib.sha256(b"fork").digest()] + leaves[1:]
            assert not M.verify_consistency(m, n, r1, M.root(forked), proof)


def test_bad_sizes_are_errors():
    with pytest.raises(ValueError):
        M.inclusion_path(3, LEAVES[:3])
    with pytest.raises(ValueError):
        M.consistency_proof(0, LEAVES[:3])
    with pytest.raises(ValueError):
        M.consistency_proof(4, LEAVES[:3])
    assert not M.verify_consistency(0, 3, b"", b"", [])
    assert not M.verify_inclusion(0, 0, b"", [], M.EMPTY_ROOT)


def test_prefix_roots_in_one_pass_equal_each_root():
    got = M.prefix_roots(LEAVES64, range(1, 65))
    assert [got[n] for n in range(1, 65)] == [mini_root(LEAVES64[:n]) for n in range(1, 65)]
    assert [M.prefix_roots(LEAVES, [n])[n].hex() for n in range(1, 9)] == ROOTS
