"""The spec: loading, models, table descriptions and compile. Offline by construction."""
