"""RFC 9162 §2.1 on trees written out by hand, random trees, and against pymerkle."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from service.proofs.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _tree(n: int) -> MemoryTree:
    return MemoryTree([leaf_hash(f"d{i}".encode()) for i in range(n)])


def test_hashing_has_the_rfc_domain_separation() -> None:
    assert leaf_hash(b"x") == _sha(b"\x00x")
    assert node_hash(b"L" * 32, b"R" * 32) == _sha(b"\x01" + b"L" * 32 + b"R" * 32)
    assert _sha(b"") == EMPTY_ROOT


def test_the_seven_leaf_example_of_rfc_9162_section_2_1_5() -> None:
    """Labels as in the RFC: leaves a..f, j; g=H(a,b), h=H(c,d), i=H(e,f), k, l, root."""
    a, b, c, d, e, f, j = (leaf_hash(f"d{i}".encode()) for i in range(7))
    g, h, i = node_hash(a, b), node_hash(c, d), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    tree = _tree(7)
    assert tree.root() == node_hash(k, l_)
    assert tree.root(3) == node_hash(g, c)
    assert tree.root(6) == node_hash(k, i)
    assert inclusion_proof(tree.node, 0, 7) == [b, h, l_]
    assert inclusion_proof(tree.node, 3, 7) == [c, g, l_]
    assert inclusion_proof(tree.node, 4, 7) == [f, j, k]
    assert inclusion_proof(tree.node, 6, 7) == [i, k]
    assert consistency_proof(tree.node, 3, 7) == [c, d, g, l_]
    assert consistency_proof(tree.node, 4, 7) == [l_]
    assert consistency_proof(tree.node, 6, 7) == [i, j, k]
    assert consistency_proof(tree.node, 7, 7) == []


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 255, 256, 257, 1000])
def test_roots_agree_with_pymerkle(n: int) -> None:
    """pymerkle (an independent implementation) hashes leaves and nodes as RFC 9162 does."""
    other = InmemoryTree(algorithm="sha256")
    data = [f"entry {i}".encode() for i in range(n)]
    for entry in data:
        other.append_entry(entry)
    ours = MemoryTree([leaf_hash(entry) for entry in data])
    for size in {1, n // 2 or 1, n}:
        assert ours.root(size) == other.get_root(size)


def _flip(proof: list[bytes], which: int, bit: int) -> list[bytes]:
    bad = list(proof)
    target = bytearray(bad[which])
    target[bit // 8 % 32] ^= 1 << (bit % 8)
    bad[which] = bytes(target)
    return bad


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 600).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.integers(0, 10**6),
)
def test_every_inclusion_proof_verifies_and_any_flipped_bit_fails(
    case: tuple[int, int], bit: int
) -> None:
    n, m = case
    tree = _tree(n)
    root, leaf = tree.root(), tree.node(0, m)
    proof = inclusion_proof(tree.node, m, n)
    assert verify_inclusion(m, n, leaf, proof, root)
    assert not verify_inclusion(m, n, _flip([leaf], 0, bit)[0], proof, root)
    if proof:
        assert not verify_inclusion(m, n, leaf, _flip(proof, bit % len(proof), bit), root)
        assert not verify_inclusion(m, n, leaf, proof[:-1], root)
    assert not verify_inclusion(m, n, leaf, [*proof, root], root)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(1, 600).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
    st.integers(0, 10**6),
)
def test_every_consistency_proof_verifies_and_any_flipped_bit_fails(
    case: tuple[int, int], bit: int
) -> None:
    m, n = case
    tree = _tree(n)
    old, new = tree.root(m), tree.root(n)
    proof = consistency_proof(tree.node, m, n)
    assert verify_consistency(m, n, old, new, proof)
    if m < n:
        assert not verify_consistency(m, n, old, new, _flip(proof, bit % len(proof), bit))
        assert not verify_consistency(m, n, _flip([old], 0, bit)[0], new, proof)
        assert not verify_consistency(m, n, old, _flip([new], 0, bit)[0], proof)
        assert not verify_consistency(m, n, old, new, proof[:-1])


def test_out_of_range_requests_are_refused() -> None:
    tree = _tree(4)
    with pytest.raises(ValueError):
        inclusion_proof(tree.node, 4, 4)
    with pytest.raises(ValueError):
        consistency_proof(tree.node, 5, 4)
    assert not verify_inclusion(4, 4, tree.node(0, 0), [], tree.root())
    assert not verify_consistency(0, 4, EMPTY_ROOT, tree.root(), [])
