"""Embedding models behind one small interface, loaded lazily and offline by default."""
