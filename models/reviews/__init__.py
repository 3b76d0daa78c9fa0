"""Review retrieval over Chroma: passages, ranking, BM25, the index, summaries."""

__all__: list[str] = []
