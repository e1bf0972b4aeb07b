"""What a person does with a result: open it, show it in its folder, copy its path, find photos like
it. Opening never fails silently: a file gone since it was indexed, or no application to open it,
is said in the message bar and the path copied."""

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, QPoint, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from localsearch.core.types import Hit
from localsearch.gui.results import HitRole

if TYPE_CHECKING:
    from localsearch.gui.main_window import MainWindow


class ResultActions(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.w = window

    def focus_results(self) -> None:
        view, model = self.w.view, self.w.model
        if model.rowCount():
            view.setFocus()
            view.selectionModel().setCurrentIndex(model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def current_path(self) -> str | None:
        strip = self.w.strip
        if strip.view.hasFocus():
            hit = strip.current_hit()
            return hit.path if hit is not None else None
        idx = self.w.view.currentIndex()
        return idx.data(HitRole).path if idx.isValid() else None

    def open_hit(self, idx: QModelIndex | None = None) -> None:
        idx = idx if idx is not None else self.w.view.currentIndex()
        if idx.isValid():
            self.open(idx.data(HitRole).path, folder=False)

    def reveal_current(self) -> None:
        path = self.current_path()
        if path:
            self.open(path, folder=True)

    def copy_current(self) -> None:
        path = self.current_path()
        if path:
            QGuiApplication.clipboard().setText(path)

    def open(self, path: str, folder: bool) -> None:
        """Open a result (or its folder) with the desktop's application. A file gone since it was indexed,
        or no application to open it with, is said in the message bar (its path copied): never silence."""
        target, name = (os.path.dirname(path) if folder else path), os.path.basename(path)

        def go(exists: bool) -> None:
            if not exists:
                self.w.show_message(f"Couldn't open “{name}”: it was moved or deleted since it was indexed.")
            elif not self.w.open_url(QUrl.fromLocalFile(target)):
                QGuiApplication.clipboard().setText(path)
                kind = "folders" if folder else (f"{os.path.splitext(name)[1][1:].upper()} files"
                                                 if os.path.splitext(name)[1] else "this file")
                self.w.show_message(f"Couldn't open “{name}”: no application is set to open {kind} on this "
                                    "system. Its path is copied to the clipboard.")

        self.w.files.run(lambda: os.path.exists(target), go)  # a stat can hang on a lost network share

    def list_menu(self, pos: QPoint) -> None:
        index = self.w.view.indexAt(pos)
        if index.isValid():
            self.hit_menu(index.data(HitRole), self.w.view.viewport().mapToGlobal(pos))

    def hit_menu(self, hit: Hit, where: QPoint) -> None:
        menu = QMenu(self.w)
        menu.addAction("Open", lambda: self.open(hit.path, folder=False))
        menu.addAction("Show in folder", lambda: self.open(hit.path, folder=True))
        menu.addAction("Copy path", lambda: QGuiApplication.clipboard().setText(hit.path))
        if hit.kind == "photo":
            menu.addAction("Find similar photos", lambda: self.w.find_similar(hit.path))
        menu.exec(where)
