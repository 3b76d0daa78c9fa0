"""Customer segments: the estimator, profiles, names, and the stored assignments."""

__all__: list[str] = []
