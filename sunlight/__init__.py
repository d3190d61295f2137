"""Sunlight (阳光监察): core services shared by ingest, audit, dashboard and samples."""

from __future__ import annotations

__version__ = "0.1.0"
