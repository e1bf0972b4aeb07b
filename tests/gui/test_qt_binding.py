"""Guards against Qt binding bugs that only show after hours of use."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_slot_calls_and_event_processing_keep_none_alive(qapp):
    """PySide6 6.12.0 dropped a reference to None per slot call: the window died after ~10^5 events."""
    emitter = _Emitter()
    emitter.fired.connect(lambda value: None)
    before = sys.getrefcount(None)
    for _ in range(2000):
        emitter.fired.emit(None)
        qapp.processEvents()
    assert sys.getrefcount(None) - before > -50
