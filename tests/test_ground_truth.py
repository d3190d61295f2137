"""The default rule pack against generated districts: every planted violation found at the right
level, nothing else flagged, every planted bad row quarantined and nothing else."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from audit.rules.loader import default_rules_dir, load_pack
from audit.runner import run_audit
from ingest.api import ingest_paths
from samples.generator import generate
from sunlight import db
from sunlight.config import Settings
from sunlight.demo import BUNDLED, check_quarantine, check_truth


def audit_district(folder: Path, tmp_path: Path) -> Path:
    settings = Settings()
    manifest = json.loads((folder / "truth" / "manifest.json").read_text(encoding="utf-8"))
    path = tmp_path / "district.duckdb"
    con = db.connect(path)
    con.execute("BEGIN TRANSACTION")
    ingest_paths(con, [folder / "exports"], settings)
    con.execute("COMMIT")
    run_audit(con, load_pack(default_rules_dir()), dt.datetime.fromisoformat(manifest["as_of"]), settings)
    con.close()
    return path


@pytest.mark.parametrize("seed", [3, 41, 977])
def test_generated_district_flags_equal_ground_truth(seed: int, tmp_path: Path) -> None:
    folder = tmp_path / "district"
    generate(folder, cases=2500, seed=seed)
    con = db.connect(audit_district(folder, tmp_path))
    check = check_truth(con, folder / "truth" / "ground_truth.csv")
    assert len(check.expected) > 100
    assert check.missed == []
    assert check.extra == []
    codes = {code for code, _, _ in check.found}
    assert len(codes) >= 20


def test_bundled_demo_sample_flags_and_quarantine_equal_ground_truth(tmp_path: Path) -> None:
    con = db.connect(audit_district(BUNDLED, tmp_path))
    check = check_truth(con, BUNDLED / "truth" / "ground_truth.csv")
    assert (check.missed, check.extra) == ([], [])
    not_caught, unexpected = check_quarantine(con, BUNDLED / "truth" / "expected_quarantine.csv")
    assert (not_caught, unexpected) == (set(), set())
    read, loaded, quarantined = con.execute(
        "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined) FROM load_files").fetchone()
    assert read == loaded + quarantined
    assert quarantined == con.execute("SELECT count(*) FROM quarantine").fetchone()[0] > 0
