"""simulators package (see README.md)."""
