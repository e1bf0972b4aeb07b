"""What a person does to collections: add a folder (dialog, drop), remove, rename, locate a moved
folder, add or stop searching a folder, pause, see the files not indexed. Each change runs with the
watcher stopped, off the GUI thread (watch_control); checks on the chosen folder run there too."""

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox

from localsearch.core.errors import KnownError
from localsearch.gui.dialogs import FailuresDialog
from localsearch.gui.watch_control import said

if TYPE_CHECKING:
    from localsearch.gui.main_window import MainWindow


def unique_name(base: str, taken: set[str]) -> str:
    name, n = base or "folder", 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    return name


def folder_problem(path: Path) -> str | None:
    """Why this cannot become a collection, in plain words; None when it can (a stat: off the GUI thread)."""
    if not path.is_dir():
        return f"“{path}” is not a folder."
    if not os.access(path, os.R_OK | os.X_OK):
        return (f"LocalSearch cannot read “{path}” (permission denied). Check the folder's permissions, then add "
                "it again.")
    return None


def _later(act: Callable[[str], None], folder: str) -> Callable[[], None]:
    """A menu action for one folder (bound now, not to the loop's last value; takes no `checked`)."""
    return lambda: act(folder)


class CollectionActions(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.service = window.service
        self.watch = window.watch

    def pick_folder(self, title: str, start: str | None = None) -> str:
        """A folder from the dialog, opened where the user last chose one (else their home), never in the
        process's working directory; '' when cancelled."""
        settings = self.window.qsettings
        last = settings.value("last_folder", "")
        folder = QFileDialog.getExistingDirectory(self.window, title, start or (
            last if isinstance(last, str) and last else str(Path.home())))
        if folder:
            settings.setValue("last_folder", str(Path(folder).parent))
        return folder

    def choose_folder(self) -> None:
        folder = self.pick_folder("Add a folder to search")
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        """A new collection for this folder, named after it. The folder is checked with the watcher stopped,
        off the GUI thread (a stat can hang on a lost network share); a problem is said instead."""
        path = Path(folder).expanduser()
        name = unique_name(path.name, set(self.window.collection_names()))

        def add() -> None:
            why = folder_problem(path)
            if why is not None:
                raise KnownError(why)
            self.service.add_folder(name, str(path.resolve()))

        self.watch.with_stopped(add, f"Added “{path}” as collection “{name}”. Indexing starts now; you can "
                                     "search meanwhile.")

    def remove_collection(self, name: str, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self.window, "Remove collection", f"Remove “{name}” from LocalSearch? Your files are not touched."
        ) != QMessageBox.StandardButton.Yes:
            return
        self.watch.with_stopped(lambda: self.service.remove_collection(name))

    def rename_collection(self, name: str, new: str | None = None) -> None:
        if new is None:
            new, ok = QInputDialog.getText(self.window, "Rename collection", "New name:", text=name)
            if not ok:
                return
        new = new.strip()
        if new and new != name:
            self.watch.with_stopped(lambda: self.service.rename_collection(name, new))

    def locate_folder(self, name: str, root: str, new: str | None = None) -> None:
        """A folder that moved: point the collection at its new place (its index is kept)."""
        if new is None:
            new = self.pick_folder(f"Where is “{os.path.basename(root)}” now?", os.path.dirname(root))
        if new:
            self.watch.with_stopped(lambda: self.service.move_root(root, new, name),
                                    f"“{name}” now searches {new}; nothing needed indexing again.")

    def add_folder_to(self, name: str, folder: str | None = None) -> None:
        if folder is None:
            folder = self.pick_folder(f"Add a folder to “{name}”")
        if folder:
            self.watch.with_stopped(lambda: self.service.add_folder(name, folder),
                                    f"Added {folder} to “{name}”. Indexing starts now; you can search meanwhile.")

    def remove_folder(self, name: str, root: str, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self.window, "Stop searching a folder", f"Stop searching {root} in “{name}”? Your files are not "
                "touched.") != QMessageBox.StandardButton.Yes:
            return
        self.watch.with_stopped(lambda: self.service.remove_folder(name, root), f"“{name}” no longer searches {root}.")

    def toggle_pause(self, name: str) -> None:
        self.watch.toggle_pause(name)
        self.window.sidebar.redraw()
        self.window.index_progress.note_paused({name} if self.watch.is_paused(name) else None)

    def show_failures(self, name: str) -> None:
        def read() -> list[tuple[str, str]]:  # off the GUI thread
            reader = self.service.searcher.reader()
            return [(p, r) for _, p, r in reader.failures(reader.collection(name).id)]

        def show(failures: list[tuple[str, str]]) -> None:
            if FailuresDialog(name, failures, self.window).exec():
                self.watch.reconcile(name)

        self.window.files.run(read, show, lambda e: self.window.show_message(said(e)))

    def menu(self, pos: QPoint) -> None:
        """The sidebar's context menu, for the collection under `pos` (or none)."""
        sidebar = self.window.sidebar
        item = sidebar.itemAt(pos)
        name = item.data(Qt.ItemDataRole.UserRole) if item else None
        menu = QMenu(self.window)
        menu.addAction("Add folder…", self.choose_folder)
        if name:
            state = self.watch.states.get(name)
            for root in state.offline if state is not None else []:
                menu.addAction(f"Locate “{os.path.basename(root)}”… (moved or renamed)", _later(
                    lambda folder: self.locate_folder(name, folder), root))
            menu.addAction(f"Add a folder to “{name}”…", lambda: self.add_folder_to(name))
            roots = self.window.roots.get(name, [])
            if len(roots) > 1:
                drop = menu.addMenu("Stop searching a folder")
                for root in roots:
                    drop.addAction(root, _later(lambda folder: self.remove_folder(name, folder), root))
            menu.addAction("Resume indexing" if self.watch.is_paused(name) else "Pause indexing",
                           lambda: self.toggle_pause(name))
            menu.addAction("Show files not indexed…", lambda: self.show_failures(name))
            menu.addAction("Rename…", lambda: self.rename_collection(name))
            menu.addAction("Remove…", lambda: self.remove_collection(name))
        menu.exec(sidebar.mapToGlobal(pos))
