"""The Streamlit dashboard of Sunlight (阳光监察): flags, cases, disclosure, rectification, rules, runs.

Pages (``dashboard/pages``) are thin; the queries live in :mod:`dashboard.queries` (plain functions
of a DuckDB connection and a :class:`dashboard.viewer.Viewer`, which add the viewer's scope to every
WHERE) and :mod:`dashboard.data` (the cached facade the pages call).
"""
