"""Reports: charts and self-contained pages people read instead of tables."""
