"""A full disk never destroys a good file: an injected ENOSPC when the new file is closed (where
HDF5 flushes) leaves the previous file byte for byte, no temporary, and a one-line error."""

import errno
import hashlib

import h5py
import pytest

from diffbench.cli.main import main

ARGS = ["simulate", "sphere-calibration-v2", "-n", "3", "--set", "detector.preset=square-64", "--quiet"]


@pytest.mark.parametrize("extra", [[], ["--workers", "2"], ["--shard-size", "2"]])
def test_a_failed_close_keeps_the_good_file(extra, tmp_path, capsys, monkeypatch):
    out = tmp_path / "f.cxi"
    assert main(ARGS + ["-o", str(out)] + (["--shard-size", "2"] if "--shard-size" in extra else [])) == 0
    before = hashlib.sha256(out.read_bytes()).hexdigest()
    orig = h5py.File.close

    def close(self):
        name = self.filename if self.id.valid else ""
        orig(self)
        if name.endswith(".tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(h5py.File, "close", close)
    if "--shard-size" in extra:  # the same run resumed: one shard to write again, on a full disk
        shard = sorted((tmp_path / "f.cxi.shards").glob("shard-*.cxi"))[0]
        shard.unlink()
        code = main(ARGS + ["-o", str(out)] + extra)
    else:
        code = main(ARGS + ["-o", str(out), "--seed", "9"] + extra)
    assert code in (1, 2)
    err = capsys.readouterr().err.strip()
    assert "No space left on device" in err and len(err.splitlines()) == 1
    assert hashlib.sha256(out.read_bytes()).hexdigest() == before
    leftovers = [p.name for p in tmp_path.rglob(".*") if p.name.endswith(".tmp") or ".parts." in p.name]
    assert leftovers == []


def test_export_emc_on_a_full_disk_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    src = tmp_path / "f.cxi"
    assert main(ARGS + ["-o", str(src)]) == 0
    import diffbench.io.emc as emc

    def failing_write(path, frames, npix):
        with open(path, "wb") as f:  # the atomic helper hands a temporary path
            f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(emc, "write_emc", _atomic_failing(emc, failing_write))
    assert main(["export-emc", str(src), str(tmp_path / "emc")]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not [p for p in (tmp_path / "emc").iterdir() if p.name.startswith(".") or p.name == "photons.emc"]


def _atomic_failing(emc, body):
    """write_emc as diffbench writes it (through atomic_path), with a body that fails mid-way."""
    def write(path, frames, npix):
        with emc.atomic_path(path) as tmp:
            body(tmp, frames, npix)
    return write


@pytest.fixture
def small_disk(tmp_path):
    """A real 5 MiB file system (tmpfs), where this machine lets the test mount one (root, Linux)."""
    import shutil
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    if not shutil.which("mount") or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mnt)],
                                                   capture_output=True).returncode != 0:
        pytest.skip("cannot mount a size-limited tmpfs here (needs root on Linux)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


BIG = ["simulate", "chaperonin-90-v7", "-n", "400", "--set", "detector.preset=pnccd-amo86615-bin8",
       "--compression", "none", "--quiet"]  # 400 frames of 128 x 128 uncompressed: far beyond 5 MiB


@pytest.mark.parametrize("extra", [[], ["--workers", "2"], ["--shard-size", "100"]])
def test_a_real_full_disk_keeps_the_good_file(extra, small_disk):
    """The reported case, on a real full file system and in a subprocess (it used to segfault): exit 1
    or 2 with one line naming the disk error, the good file byte for byte, nothing else left."""
    import subprocess
    import sys

    out = small_disk / "f.cxi"
    assert main(ARGS + ["-o", str(out)]) == 0
    before = out.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *BIG, "-o", str(out), *extra],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode in (1, 2), proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and ("No space left" in lines[0] or "errno = 28" in lines[0]), proc.stderr
    assert out.read_bytes() == before
    left = sorted(p.relative_to(small_disk).as_posix() for p in small_disk.rglob("*"))
    if "--shard-size" in extra:  # finished shards are kept to resume; nothing half-written
        assert all(not p.rsplit("/", 1)[-1].startswith(".") or p.endswith("manifest.json") for p in left), left
    else:
        assert left == ["f.cxi"]
