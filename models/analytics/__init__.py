"""Ad-hoc analytics over the workspace tables."""

__all__: list[str] = []
