"""Closed-form checks of the alpha-beta collectives."""

import pytest

from simcompute.perf.collectives import (
    FABRIC_EFFICIENCY,
    Link,
    all_gather_s,
    all_reduce_s,
    all_to_all_s,
    p2p_s,
    reduce_scatter_s,
)

LINK = Link(bandwidth_bytes_per_s=100e9, latency_s=1e-6)


def test_ring_all_reduce_formula():
    # 2(n-1) latency hops + 2(n-1)/n of the buffer over the link
    assert all_reduce_s(1e9, 4, LINK) == pytest.approx(6e-6 + 1.5 * 1e9 / 100e9)
    assert all_reduce_s(1e9, 1, LINK) == 0.0


def test_reduce_scatter_plus_all_gather_is_all_reduce():
    n, b = 8, 3e8
    assert reduce_scatter_s(b, n, LINK) + all_gather_s(b, n, LINK) == pytest.approx(all_reduce_s(b, n, LINK))


def test_all_to_all_and_p2p():
    assert all_to_all_s(8e8, 8, LINK) == pytest.approx(7e-6 + 7 / 8 * 8e8 / 100e9)
    assert p2p_s(1e8, LINK) == pytest.approx(1e-6 + 1e-3)


def test_fabric_link_units():
    link = Link.fabric(25.0, 0.8)  # HDR: 25 GB/s per NIC, 0.8 us
    assert link.bandwidth_bytes_per_s == pytest.approx(25e9 * FABRIC_EFFICIENCY)
    assert link.latency_s == pytest.approx(0.8e-6)
