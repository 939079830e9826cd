"""docs/tutorial.md runs as written: its Python blocks, in order, in one namespace, in a scratch folder."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tutorial_code_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "docs" / "tutorial.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"tutorial block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "single hits of 300" in out and "F1" in out
    assert (tmp_path / "pr772-view.html").stat().st_size > 10_000
    assert (tmp_path / "bench-small" / "report.html").exists()
