"""The load model: weather, sun, daily shapes and per-utility demand, integrated over time.

Everything here is a pure function of (seed, meter key, simulated time), so a
run is reproducible for a given `--seed` and `--start`.
"""
