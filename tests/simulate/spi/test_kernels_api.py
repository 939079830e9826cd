"""The species table handed to the kernels."""

from types import SimpleNamespace

import numpy as np
import pytest

from diffbench.simulate.spi.kernels_api import KIND_VOLUME_BSPLINE, SpeciesTable


def _volume(n: int):
    # a zero-stride view: the shape of an n³ complex grid without its memory
    data = np.broadcast_to(np.float32(0.0), (n, n, n, 2))
    return SimpleNamespace(data=data, interpolation="bspline3", dq_m=1e7, fold=False, reference_size_m=1e-8)


def test_bspline_volume_too_large_for_int32_indices_is_refused():
    table = SpeciesTable()
    assert table.add_volume(_volume(1290)) == 0  # 1290³ < 2³¹: the kernel's int32 point index fits
    assert table.kind == [KIND_VOLUME_BSPLINE]
    with pytest.raises(ValueError, match="1291\\^3"):
        table.add_volume(_volume(1291))  # 1291³ > 2³¹ would wrap the index
