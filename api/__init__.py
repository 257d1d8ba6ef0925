"""api package (see README.md)."""
