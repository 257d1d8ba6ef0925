from telemetry.schema import rendered

for path, text in rendered().items():
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.name}")
