"""The sample district generator: reference data, platform exports and the truth, streamed.

``generate(out_dir, cases, seed, as_of)`` writes::

    OUT_DIR/exports/reference/{departments,items,officers,discretion}.csv
    OUT_DIR/exports/qyzx_cases.csv, qyzx_events.csv            企业服务中心 (GBK)
    OUT_DIR/exports/mszx_NNN.xlsx                              民生服务中心
    OUT_DIR/exports/sqzx_cases.csv, sqzx_events.csv            社区服务中心 (UTF-8 with BOM)
    OUT_DIR/exports/wsdt_cases.jsonl, wsdt_events.jsonl        网上办事大厅
    OUT_DIR/exports/xtbg.xes                                   统一协同办公平台
    OUT_DIR/exports/zfba_cases.csv, zfba_events.csv            行政执法办案系统 (GB18030)
    OUT_DIR/exports/gswz_disclosures.jsonl                     政府网站公示栏
    OUT_DIR/truth/ground_truth.csv, traps.csv, manifest.json [, expected_quarantine.csv]

Cases are built and written a chunk at a time, so memory does not grow with ``cases``. Nothing
depends on the wall clock or on global random state: the same arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from samples import dirty as bad
from samples.district import build_district
from samples.factory import CaseFactory
from samples.histories import GenContext
from samples.plants import Kit
from samples.pools import Pools
from samples.writers import (
    CommunityWriter, DisclosureWriter, EnforcementWriter, EnterpriseWriter, OnlineHallWriter, Table,
    write_reference,
)
from samples.xes import UnifiedOfficeWriter
from samples.xlsx import MAX_SHEET_ROWS, CitizenCentreWriter
from sunlight.errors import ConfigError

GENERATOR_VERSION = "1.0"
DEFAULT_AS_OF = dt.datetime(2026, 11, 20, 18, 0)
EARLIEST_AS_OF = dt.datetime(2025, 7, 1)
LATEST_AS_OF = dt.datetime(2026, 11, 30, 23, 59)
TRUTH_COLUMNS = ["code", "subject", "case_id", "item_code", "level", "note"]
TRAP_COLUMNS = ["trap", "case_id", "note"]
Progress = Callable[[int], None]


@dataclass
class Manifest:
    seed: int
    cases: int
    as_of: str
    dirty: bool
    generator_version: str = GENERATOR_VERSION
    timezone: str = "Asia/Shanghai"
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases_by_platform: dict[str, int] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)
    traps: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def check_as_of(as_of: dt.datetime) -> None:
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise ConfigError(
            f"as-of {as_of:%Y-%m-%d %H:%M} is outside {EARLIEST_AS_OF:%Y-%m-%d} .. {LATEST_AS_OF:%Y-%m-%d}",
            hint="the working-day calendar covers 2025-2026 only, and open cases need their deadlines inside it",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clear(out: Path) -> None:
    """Remove the files a previous run wrote (only ours), so no stale workbook survives."""
    patterns = ["exports/reference/*.csv", "exports/*_cases.*", "exports/*_events.*", "exports/mszx_*.xlsx",
                "exports/xtbg.xes", "exports/gswz_disclosures.jsonl", "truth/*.csv", "truth/manifest.json"]
    for pattern in patterns:
        for path in out.glob(pattern):
            path.unlink()


def generate(
    out_dir: str | Path, cases: int, seed: int, as_of: dt.datetime | None = None, *, dirty: bool = False,
    xlsx_max_rows: int = MAX_SHEET_ROWS, progress: Progress | None = None,
) -> Manifest:
    """Write a sample district of ``cases`` cases into ``out_dir``; returns the manifest."""
    as_of = as_of or DEFAULT_AS_OF
    check_as_of(as_of)
    if cases < 1:
        raise ConfigError("cases must be at least 1")
    out = Path(out_dir)
    exports, truth = out / "exports", out / "truth"
    for folder in (exports / "reference", truth):
        folder.mkdir(parents=True, exist_ok=True)
    _clear(out)
    district = build_district()
    from samples.workdays import WorkCalendar

    ctx = GenContext(district, WorkCalendar(), as_of)
    factory = CaseFactory(Kit(ctx, Pools(district)), cases, seed)
    manifest = Manifest(seed=seed, cases=cases, as_of=f"{as_of:%Y-%m-%d %H:%M}", dirty=dirty)
    tables = write_reference(exports / "reference", district)
    enterprise, community, online = EnterpriseWriter(exports), CommunityWriter(exports), OnlineHallWriter(exports)
    enforcement, disclosures = EnforcementWriter(exports), DisclosureWriter(exports)
    citizen = CitizenCentreWriter(exports, created=as_of, max_rows=xlsx_max_rows)
    office = UnifiedOfficeWriter(exports)
    writers: list[Any] = [enterprise, citizen, community, online, office, enforcement, disclosures]
    ground_truth = Table(truth / "ground_truth.csv", TRUTH_COLUMNS)
    trap_table = Table(truth / "traps.csv", TRAP_COLUMNS)
    findings: Counter[str] = Counter()
    for item in district.promise_above_legal:
        ground_truth.write(["K_PROMISE_ABOVE_LEGAL", item.code, "", item.code, "red",
                            f"promised {item.promised_limit} > legal {item.legal_limit} working days"])
        findings["K_PROMISE_ABOVE_LEGAL/red"] += 1
    platforms: Counter[str] = Counter()
    trap_counts: Counter[str] = Counter()
    for chunk in factory.chunks():
        for writer in writers:
            writer.write_chunk(chunk)
        for case in chunk:
            platforms[case.platform] += 1
            for finding in case.expected:
                ground_truth.write([finding.code, case.case_id, case.case_id, case.item.code, finding.level,
                                    f"{case.scenario}: {finding.note}"])
                findings[f"{finding.code}/{finding.level}"] += 1
            for name, note in case.traps:
                trap_table.write([name, case.case_id, note])
                trap_counts[name] += 1
        if progress is not None:
            progress(len(chunk))
    quarantine: Table | None = None
    if dirty:
        rows = [*bad.append_tabular(enterprise), *bad.append_workbook(citizen), *bad.append_tabular(community),
                *bad.append_tabular(online), *bad.append_xes(office), *bad.append_tabular(enforcement),
                *bad.append_disclosures(disclosures)]
        quarantine = Table(truth / "expected_quarantine.csv", bad.COLUMNS)
        quarantine.write_many(row.as_row() for row in rows)
        quarantine.close()
    for writer in writers:
        writer.close()
    ground_truth.close()
    trap_table.close()
    for table in [*tables, enterprise.cases, enterprise.events, community.cases, community.events, online.cases,
                  online.events, enforcement.cases, enforcement.events, disclosures.table, ground_truth, trap_table,
                  *([quarantine] if quarantine else [])]:
        manifest.files[table.path.relative_to(out).as_posix()] = {"rows": table.rows, "sha256": _sha256(table.path)}
    for path, sheets in citizen.counts():
        manifest.files[path.relative_to(out).as_posix()] = {"sheets": sheets, "sha256": _sha256(path)}
    manifest.files[office.path.relative_to(out).as_posix()] = {
        "traces": office.traces, "events": office.events, "sha256": _sha256(office.path)}
    manifest.cases_by_platform = dict(sorted(platforms.items()))
    manifest.findings = dict(sorted(findings.items()))
    manifest.traps = dict(sorted(trap_counts.items()))
    (truth / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


__all__ = ["DEFAULT_AS_OF", "Manifest", "check_as_of", "generate"]
