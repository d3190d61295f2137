"""Ingest: platform exports in, canonical tables out.

The stages, one module each:

- :mod:`ingest.mapping` - the mapping files (one per platform) and their validation;
- :mod:`ingest.recognise` - which format a file has and which mapping describes it;
- :mod:`ingest.readers` - staging a file's rows as text columns with their source row numbers
  (DuckDB for CSV, JSON lines and Parquet; Python only to transcode GBK/GB18030 and to parse
  .xlsx and XES into Arrow batches);
- :mod:`ingest.normalise` - cleaning and converting in SQL, one ordered tuple of small steps per
  record type, each row either loaded or quarantined with a Chinese reason;
- :mod:`ingest.store` - the bookkeeping: loads, per-file reconciliation, replacing a re-export,
  event sequence numbers, the calendar;
- :mod:`ingest.api` - :func:`ingest.api.ingest_paths`, which runs them in order;
- :mod:`ingest.cli` - ``sunlight ingest`` and ``sunlight quarantine``.
"""
