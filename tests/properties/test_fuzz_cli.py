"""Fuzz the command line with hypothesis: any override of any recipe field, any number, any
string — the run either succeeds with sane truth (exit 0) or is refused in one line (exit 2),
never a traceback, never a file left behind on failure."""

import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from diffbench.cli.main import main  # noqa: E402
from diffbench.io.readers import open_any  # noqa: E402

KEYS = ["beam.pulse_energy_j", "beam.photon_energy_ev", "beam.focus_diameter_m", "beam.pulse_energy_jitter",
        "species.sphere.size_m", "species.sphere.material", "detector.distance_m", "detector.pixel_size_m",
        "detector.nx", "detector.beam_center_xy_px", "hits.classes", "injection.hit_diameter_m",
        "background.gas_photons", "pixel_integration.samples", "detector_effects.readout_noise_photons", "nope.x"]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["", "abc", "[1, 2]", "{single: 1}", "{single: -1}", "[.nan, .nan]", "null", "true",
                     "1e-300", "1e300", "-0.0", "[1e9, 1e9]", "{}", "&a [*a]"]),
)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(KEYS), value=VALUES, n=st.integers(min_value=-2, max_value=3))
def test_any_override_succeeds_sanely_or_is_refused_in_one_line(key, value, n, tmp_path, capsys):
    out = tmp_path / "o.cxi"
    out.unlink(missing_ok=True)
    code = main(["simulate", "sphere-calibration-v2", "-n", str(n), "-o", str(out), "--quiet",
                 "--set", "detector.preset=square-64", "--set", f"{key}={value}"])
    captured = capsys.readouterr()
    assert code in (0, 2), captured.err
    if code == 2:
        assert len(captured.err.strip().splitlines()) == 1 and captured.err.startswith("diffbench: error:")
        assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".o.cxi")]
        return
    with open_any(out) as d:
        frames = np.asarray(d.patterns[:])
        t = d.truth
        assert np.isfinite(frames).all()
        # photon counts are never negative; a detector's report with readout noise may be
        assert (frames >= 0).all() or key.startswith("detector_effects")
        assert all(np.isfinite(np.asarray(v, float)).all() for k, v in t.items()
                   if np.asarray(v).dtype.kind in "fiu" and not k.startswith(("ice_", "amorphous_")))
        assert (np.asarray(t["photons_total"]) >= 0).all() and math.isfinite(float(t["expected_photons_total"].sum()))
