"""`taskonomy analyze` on the authors' released 16k numbers, through the command line."""

from __future__ import annotations

import csv
import json

from taskonomy_tools.cli import main


def test_analyze_reproduces_the_papers_grouping_and_writes_a_report(released_dir, tmp_path):
    out = tmp_path / "released"
    assert main(["analyze", "--released", str(released_dir), "--out", str(out)]) == 0
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["tree"]["mixed"] == {}
    assert len(evaluation["tree"]["tasks"]) >= 24
    html = (out / "index.html").read_text()
    assert "fall into separate branches" in html
    for figure in (
        "affinities.png",
        "task_tree.png",
        "gain_curve.png",
        "significance.png",
        "taxonomy_b5_o4.png",
    ):
        assert figure in html and (out / figure).stat().st_size > 5000
    with open(out / "taxonomy_sweep.csv") as f:
        rows = list(csv.DictReader(f))
    # 26 budgets x orders 1-4; Quality grows with the budget and higher orders never hurt.
    assert len(rows) == 26 * 4
    quality = {(int(r["budget"]), int(r["max_order"])): float(r["quality"]) for r in rows}
    assert quality[26, 1] > quality[3, 1] and quality[5, 4] >= quality[5, 1] - 1e-9
    # Significance: above the random band for most budgets (the paper's Fig. 11).
    bands = evaluation["significance"]
    beats = [b for b, (_, _, hi) in bands.items() if quality[int(b), 4] > hi]
    assert len(beats) > len(bands) / 2


def test_analyze_names_the_missing_files(tmp_path, capsys):
    assert main(["analyze", "--released", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert "taskonomy analyze: error:" in error and "all_affinities_16k" in error
    assert main(["analyze", "--out", str(tmp_path / "o")]) == 2
    assert "--released" in capsys.readouterr().err
