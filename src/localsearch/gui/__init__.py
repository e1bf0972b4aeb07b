"""The desktop window: a thin PySide6 layer over localsearch.core."""
