"""Generic Chinese text analysis for matching and similarity: normalisation, token views,
an in-memory BM25 index and rank fusion. Pure Python + numpy; no Django."""
