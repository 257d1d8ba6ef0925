"""collector package (see README.md)."""
