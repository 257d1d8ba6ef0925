"""What the test suites share: golden cases, waiting, processes, and the integration marker."""
