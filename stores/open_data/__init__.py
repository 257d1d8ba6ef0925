"""Open data: the export's columns (one source for CSV, JSON and Data Package) and the
catalogue (DCAT-AP JSON-LD, datapackage.json, 공공데이터포털 metadata sheet)."""
