"""LocalSearch: search your own documents and photos by meaning, on your own machine."""

__version__ = "0.1.0"
