"""Persistent state: the SQLite catalog (the truth) and per-collection FAISS indexes (rebuildable caches)."""
