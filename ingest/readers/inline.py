"""Reference rows written in a mapping file (``reference:``), staged like any other file.

A user mapping for a foreign log can bring the catalogue item and department its cases need.
Those rows load as a file of their own named ``<mapping file>:reference``, so they are
reconciled, and replaced or left unchanged, exactly like exported reference data.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ingest.fields import REFERENCE_RECORDS
from ingest.mapping import Mapping, ReferenceRow
from ingest.parts import PartSpec
from ingest.readers.base import BatchBuilder, Stage, Stager, drain, stage_schema


def reference_name(mapping: Mapping) -> str:
    return f"{mapping.path.name}:reference"


def reference_digest(mapping: Mapping) -> str:
    assert mapping.reference is not None
    text = json.dumps(mapping.reference.model_dump(), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps([str(x) for x in value], ensure_ascii=False)
    return str(value)


def reference_parts(mapping: Mapping) -> list[PartSpec]:
    assert mapping.reference is not None
    parts = []
    for record in REFERENCE_RECORDS:
        rows = mapping.reference.rows(record)
        if rows:
            names = list(dict.fromkeys(k for row in rows for k in row))
            parts.append(PartSpec(record=record, platform=mapping.platform, mapping=mapping, entry_index=-1,
                                  stage=f"inline:{record}", fields={n: n for n in names}))
    return parts


def stage_reference(mapping: Mapping, stager: Stager) -> dict[str, Stage]:
    assert mapping.reference is not None
    stages = {}
    for record in REFERENCE_RECORDS:
        rows: list[ReferenceRow] = mapping.reference.rows(record)
        if not rows:
            continue
        names = list(dict.fromkeys(k for row in rows for k in row))
        schema = stage_schema(len(names))
        values = ([n, None, None, None, *(_text(row.get(k)) for k in names)] for n, row in enumerate(rows, 1))
        table = stager.from_batches(schema, list(drain(BatchBuilder(schema), values)))
        stages[f"inline:{record}"] = Stage(table, {k: f"c{i}" for i, k in enumerate(names, 1)}, len(rows))
    return stages
