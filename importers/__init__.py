"""Utilities' data that no edge agent reads, published into the wire contract like an agent."""
