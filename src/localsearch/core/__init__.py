"""The engine of LocalSearch. Never imports Qt: the GUI and the CLI are thin layers over it."""
