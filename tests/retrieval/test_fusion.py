from __future__ import annotations

import pytest

from retrieval.fusion import min_max, rrf, weighted


def test_rrf_sums_reciprocal_ranks() -> None:
    fused = rrf([[1, 2, 3], [3, 1]], k=60)
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert sorted(fused, key=lambda d: -fused[d]) == [1, 3, 2]


def test_rrf_weights_favour_one_list() -> None:
    fused = rrf([[1, 2], [2, 1]], k=60, weights=[1.0, 2.0])
    assert fused[2] > fused[1]
    with pytest.raises(ValueError, match="one weight per list"):
        rrf([[1]], weights=[1.0, 1.0])


def test_weighted_normalises_unbounded_scores() -> None:
    assert min_max({1: 10.0, 2: 5.0, 3: 0.0}) == {1: 1.0, 2: 0.5, 3: 0.0}
    fused = weighted([{1: 10.0, 2: 5.0}, {2: 0.9, 3: 0.8}], weights=[0.5, 1.0], normalise=[True, False])
    assert fused == pytest.approx({1: 0.5, 2: 0.9, 3: 0.8})
