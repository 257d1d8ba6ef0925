"""dashboards package (see README.md)."""
