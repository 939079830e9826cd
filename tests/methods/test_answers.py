"""Answers kept by input content: the same bytes answer once, another input or shape computes anew."""

import numpy as np
from numpy.testing import assert_array_equal

from diffbench.methods.answers import Answers, digest


def test_the_same_input_is_answered_once_and_a_copy_is_returned():
    calls = []
    answers = Answers(size=2)
    x = np.arange(6.0)

    def compute():
        calls.append(1)
        return x * 2

    first = answers.get(digest(x), compute)
    first[0] = -1  # the caller's copy: the kept answer is not changed
    assert_array_equal(answers.get(digest(x.copy()), compute), x * 2)
    assert len(calls) == 1


def test_digest_tells_shapes_dtypes_and_order_apart_and_the_cache_is_bounded():
    x = np.arange(6, dtype=np.float32)
    assert digest(x) != digest(x.reshape(2, 3)) != digest(x.astype(np.float64))
    assert digest(x, x[:2]) != digest(x[:2], x)
    answers = Answers(size=2)
    for k in range(5):
        answers.get(str(k), lambda: np.zeros(1))
    assert len(answers) == 2
    calls = []
    answers.get("", lambda: calls.append(1) or np.zeros(1))  # an empty key is never kept
    answers.get("", lambda: calls.append(1) or np.zeros(1))
    assert len(calls) == 2 and len(answers) == 2


def test_file_frames_have_a_content_key_that_follows_rows_and_file_changes(tmp_path):
    import h5py

    from diffbench.methods.frames import Frames

    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(60, dtype=np.float32).reshape(6, 2, 5)
    with h5py.File(path, "r") as f:
        frames = Frames(f["x"], source=str(path))
        key = frames.content_key()
        assert key and key == Frames(f["x"], source=str(path)).content_key()
        sub = frames.take([1, 3, 4])
        assert sub.content_key() not in ("", key)
        # rows of rows name the same file rows as the direct take
        assert sub.take([0, 2]).content_key() == frames.take([1, 4]).content_key()
    assert Frames(np.zeros((2, 3, 3))).content_key() == ""  # arrays are not cached
    import os
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the file changed: another key
    with h5py.File(path, "r") as f:
        assert Frames(f["x"], source=str(path)).content_key() != key
