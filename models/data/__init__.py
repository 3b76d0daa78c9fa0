"""The data layer: schema, loaders, validation, ingest and the atomic workspace."""

__all__: list[str] = []
