"""Files in and out: the planner's own tables, OSM road files, the plan directory, atomic writes.

- :mod:`geo_patrol.io.tables` — schools, stations and candidate sites (CSV, XLSX, GeoJSON, GPKG).
- :mod:`geo_patrol.io.osm` — OSM XML/PBF ways and school features.
- :mod:`geo_patrol.io.plandir` — the plan directory: its one schema, reader and writer.
- :mod:`geo_patrol.io.atomic` — the one way anything is written: temporary path, then rename.
"""
