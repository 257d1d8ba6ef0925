"""How every component reads its configuration: strict YAML with line numbers,
message ids, settings (flags > environment > file > defaults) and the CLI helpers.

Kept apart from `telemetry.registry` so a component that only needs its settings
does not pull in the site registry, and nothing here imports the registry back.
The package itself imports nothing: each module is imported by its own path.
"""
