"""edge_agent package (see README.md)."""
