"""The window's menu bar, with the usual entries and shortcuts (Qt/KDE and GNOME conventions), and its
two small dialogs: the keyboard shortcuts, and About (versions and where the data lives)."""

import platform
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from localsearch import __version__
from localsearch.core import query_syntax

if TYPE_CHECKING:
    from localsearch.gui.main_window import MainWindow

SHORTCUTS = [
    ("Ctrl+O", "Add a folder to search"),
    ("Ctrl+F or Ctrl+L", "Go to the search field"),
    ("Escape", "Clear the search"),
    ("Enter", "Open the selected result"),
    ("Ctrl+Enter", "Show the selected result in its folder"),
    ("Ctrl+C (in the results)", "Copy the selected result's path"),
    ("Space (in the results)", "Show or hide the preview"),
    ("Ctrl+Plus / Ctrl+Minus", "Larger / smaller photo thumbnails"),
    ("N / Shift+N", "Next / previous matching passage in the preview"),
    ("Alt+Left", "Back to the search before Find similar photos"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+Q", "Quit"),
]


def about_text(window: "MainWindow") -> str:
    service = window.service
    image = {"default": "built-in (EfficientNet-Lite0, works offline)", "": "none", "none": "none"}.get(
        service.settings.image_model, service.settings.image_model)
    return (f"<h3>LocalSearch {__version__}</h3>"
            "<p>Search your own documents and photos by meaning, on this computer only.</p>"
            f"<p>Text model: {service.model_id}<br>Photo model: {image}<br>"
            f"Your data: {service.paths.data}<br>Settings: {service.paths.config}</p>"
            f"<p>Python {platform.python_version()} · Qt {qVersion()} · PySide {pyside_version}</p>")


def syntax_menu(window: "MainWindow") -> QMenu:
    """The search operators, each a menu entry that adds it to the search field (a plain question needs
    none of them)."""
    menu = QMenu(window)
    menu.setToolTipsVisible(True)
    title = menu.addAction("Narrow a search (a plain question needs none of these):")
    title.setEnabled(False)
    for op, what in query_syntax.HELP:
        action = menu.addAction(f"{op}  —  {what}")
        action.triggered.connect(lambda *_, op=op: window.add_to_search(op))
    return menu


def shortcuts_text() -> str:
    rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>" for keys, what in SHORTCUTS)
    return f"<table>{rows}</table>"


def _action(window: "MainWindow", text: str, slot: object, keys: str | QKeySequence.StandardKey | None = None) -> QAction:
    action = QAction(text, window)
    if keys is not None:
        action.setShortcut(QKeySequence(keys))
    action.triggered.connect(lambda *_: slot())  # type: ignore[operator]
    return action


def install(window: "MainWindow") -> dict[str, QAction]:
    """File, Edit, View and Help menus on the window; returns the actions by name (for tests)."""
    bar = window.menuBar()
    actions: dict[str, QAction] = {}
    actions |= {
        "add_folder": _action(window, "&Add Folder…", window.collections.choose_folder, "Ctrl+O"),
        "quit": _action(window, "&Quit", window.close, "Ctrl+Q"),
        "copy_path": _action(window, "&Copy Path", window.results.copy_current),
        "find": _action(window, "&Find", window.focus_search, "Ctrl+F"),
        "settings": _action(window, "&Settings…", window.open_settings, "Ctrl+,"),
        "sidebar": _action(window, "Show &Collections", lambda: window.sidebar.setVisible(
            actions["sidebar"].isChecked())),
        "operators": _action(window, "Search &Operators", lambda: window.show_operators()),
        "back": _action(window, "&Back", window.searching.go_back, "Alt+Left"),
        "preview": _action(window, "&Preview\tSpace", window.toggle_preview),  # Space: in the results only
        "shortcuts": _action(window, "&Keyboard Shortcuts", lambda: QMessageBox.information(
            window, "Keyboard shortcuts", shortcuts_text())),
        "about": _action(window, "&About LocalSearch", lambda: QMessageBox.about(
            window, "About LocalSearch", about_text(window))),
    }
    actions["sidebar"].setCheckable(True)
    actions["preview"].setCheckable(True)
    actions["sidebar"].setChecked(True)
    file_menu = bar.addMenu("&File")
    file_menu.addAction(actions["add_folder"])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])
    edit = bar.addMenu("&Edit")
    for name in ("copy_path", "find"):
        edit.addAction(actions[name])
    edit.addSeparator()
    edit.addAction(actions["settings"])
    view = bar.addMenu("&View")
    view.addAction(actions["sidebar"])
    view.addAction(actions["preview"])
    view.addAction(actions["back"])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(actions["operators"])
    help_menu.addAction(actions["shortcuts"])
    help_menu.addAction(actions["about"])
    return actions
