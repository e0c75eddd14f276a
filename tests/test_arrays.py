"""graph360.arrays gives numpy's answers (it only takes another way to them)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graph360 import arrays

_INTS = hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(-50, 50))


@given(_INTS)
def test_unique_is_numpys(values: np.ndarray) -> None:
    assert np.array_equal(arrays.unique(values), np.unique(values))


@given(_INTS, _INTS)
def test_isin_is_numpys(values: np.ndarray, candidates: np.ndarray) -> None:
    assert np.array_equal(arrays.isin(values, candidates), np.isin(values, candidates))


@given(hnp.arrays(np.int64, st.integers(0, 300), elements=st.integers(0, 80)))
def test_dense_unique_is_numpys(values: np.ndarray) -> None:
    present, inverse = arrays.dense_unique(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(present, expected)
    assert np.array_equal(inverse, expected_inverse.ravel())


def test_dense_unique_of_sparse_codes() -> None:
    values = np.array([5, 10**12, 5, 7], dtype=np.int64)
    present, inverse = arrays.dense_unique(values)
    assert present.tolist() == [5, 7, 10**12] and inverse.tolist() == [0, 2, 0, 1]
