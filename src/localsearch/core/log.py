"""Named loggers per area, as in qutebrowser: `log.index.info(...)`."""

import logging

index = logging.getLogger("localsearch.index")
extract = logging.getLogger("localsearch.extract")
store = logging.getLogger("localsearch.store")
embed = logging.getLogger("localsearch.embed")
search = logging.getLogger("localsearch.search")
watch = logging.getLogger("localsearch.watch")
api = logging.getLogger("localsearch.api")


def setup(level: int = logging.INFO) -> None:
    """Configure the root 'localsearch' logger once; app.py and cli.py call this, nothing below."""
    root = logging.getLogger("localsearch")
    if root.handlers:
        root.setLevel(level)
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
