"""Screenshots of the window as a user sees it: empty start, document hits, photo grid, dark palette.

Run under a real X server (Debian `xvfb`):  xvfb-run -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshots.py OUT_DIR
Uses the real packaged text model on generated demo files, in a throwaway home folder.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QIcon, QImage, QLinearGradient, QPainter, QPalette
    from PySide6.QtWidgets import QApplication, QWidget

    from localsearch.core import paths
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow
    from tests import docgen

    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setWindowIcon(QIcon(str(ROOT / "resources" / "localsearch.svg")))
    tmp = Path(tempfile.mkdtemp(prefix="localsearch-shots-"))
    demo = docgen.mixed_folder(tmp / "Documents")
    photos = tmp / "Pictures"
    photos.mkdir()
    for name, a, b in (("sunset over the sea.jpg", "#f97316", "#7c3aed"), ("sunset in the hills.jpg", "#facc15", "#b91c1c"),
                       ("sunset city skyline.png", "#fb7185", "#1e3a8a"), ("sunset at the lake.jpg", "#fdba74", "#0f766e")):
        image = QImage(800, 600, QImage.Format.Format_RGB32)
        p = QPainter(image)
        grad = QLinearGradient(0, 0, 0, 600)
        grad.setColorAt(0, QColor(a))
        grad.setColorAt(1, QColor(b))
        p.fillRect(image.rect(), grad)
        p.setBrush(QColor("#fff7ed"))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(320, 330, 160, 160)
        p.end()
        image.save(str(photos / name))
    QImage(str(photos / "sunset in the hills.jpg")).scaled(400, 300).save(str(photos / "IMG_0042.jpg"), "JPEG", 40)

    from tests import photogen

    photogen.printed_text_photo(photos / "IMG_2041.jpg", ["ACME HARDWARE STORE", "2x Hammer   24.99", "Total  49.98"])
    (demo / "租房合同.txt").write_text("房屋租赁合同\n房租每月一千二百元，每月一号之前转账给房东。押金是两个月的房租。",
                                     encoding="utf-8")
    service = Service(paths.resolve(tmp / "home"))
    window = MainWindow(service)
    window.resize(1200, 760)
    window.show()

    def pump(until, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app.processEvents()
            if until():
                return
            time.sleep(0.02)
        raise TimeoutError("the window did not reach the expected state")

    def shot(name: str, widget: QWidget | None = None) -> None:
        for _ in range(20):
            app.processEvents()
            time.sleep(0.02)
        (widget or window).grab().save(str(out / name))
        print(out / name)

    def shot_screen(name: str) -> None:
        """The window with the popup open over it, as the screen shows them; the popup is closed after."""
        for _ in range(15):
            app.processEvents()
            time.sleep(0.03)
        app.primaryScreen().grabWindow(0).copy(window.frameGeometry()).save(str(out / name))
        print(out / name)
        popup = app.activePopupWidget()
        if popup is not None:
            popup.close()

    pump(lambda: window.isVisible() and window.sidebar.ready)  # the collections are read off the GUI thread
    shot("1-empty-start.png")
    window.add_folder(str(demo))
    window.add_folder(str(photos))
    pump(lambda: sum(window.sidebar.item(i).text().split("· ", 1)[-1].startswith("watching")
                   for i in range(window.sidebar.count())) == 2)
    window.banner.hide()
    done: list[int] = []
    window.search_done.connect(done.append)

    def results(kind: str, text: str, name: str, photos: int = 0, select_first: bool = False) -> None:
        """Type a query as a user would, wait for its results (and photos' thumbnails), take the shot."""
        window.search.clear()  # the same text again is searched again (the typing pause coalesces the two)
        done.clear()
        window.kind.setCurrentText(kind)
        window.search.setText(text)
        pump(lambda: bool(done) and len(window.model._pixmaps) >= photos, timeout=30.0 if photos else 120.0)
        if select_first:
            window.view.setCurrentIndex(window.model.index(0))
        shot(name)

    results("Documents and photos", "how much do I pay the landlord every month", "2-document-hits.png")
    results("Photos", "sunset", "3-photo-grid.png", photos=4)
    pump(lambda: window.states["Pictures"].mode == "watching" and not window.states["Pictures"].text_left)  # text read
    results("Documents and photos", "receipt from the hardware store", "6-text-in-photo.png", select_first=True)
    shown: list[str] = []
    window.preview.shown.connect(shown.append)
    pump(lambda: window.model.rowCount() > 0)  # a refresh (the text-in-photos pass ending) may be under way
    window.view.setCurrentIndex(window.model.index(0))  # the receipt photo
    window.toggle_preview()
    pump(lambda: bool(shown))
    shot("20-preview-photo.png")
    shown.clear()
    results("Documents and photos", "monthly rent deposit", "21-preview-pdf.png", select_first=True)
    pump(lambda: window.model.rowCount() > 0)
    window.view.setCurrentIndex(window.model.index(0))
    pump(lambda: bool(shown))
    shot("21-preview-pdf.png")
    window.toggle_preview()
    results("Documents and photos", "hardware invoice", "23-mixed-strip.png")
    results("Documents and photos", "rent -invoice type:pdf", "18-operators.png")
    window.show_operators()  # the "?" at the search field's end: the operators, each added by a click
    shot_screen("19-operators-menu.png")
    results("Documents and photos", "房租", "24-chinese-keyword.png")
    window.search.clear()
    from localsearch.core.embed import multilingual
    from localsearch.core.indexer import Progress

    window._on_progress(Progress("Documents", "indexing", done=120, total=300, switching=multilingual.MODEL_ID))
    shot("25-switching-model.png")  # what a model change looks like while the old index serves
    window._on_progress(Progress("Documents", "done"))
    window._on_progress(Progress("Documents", "embedding", done=1800, total=5200))
    results("Documents and photos", "rent", "26-words-first.png")  # a big first run: words work, meaning follows
    clock = [time.monotonic()]
    window.index_progress.rates.clock = lambda: clock[0]
    window._on_progress(Progress("Pictures", "reading text", done=40, total=400))
    window._on_progress(Progress("Documents", "embedding", done=1800, total=5200))
    clock[0] += 30
    window._on_progress(Progress("Pictures", "reading text", done=100, total=400))
    window._on_progress(Progress("Documents", "embedding", done=2900, total=5200))
    window.index_progress.open_details()
    shot_screen("27-progress-details.png")  # every collection's phase, rate and time left, with Pause
    window.index_progress.details.hide()
    window.index_progress.rates.clock = time.monotonic
    window._on_progress(Progress("Pictures", "done"))
    window._on_progress(Progress("Documents", "done"))
    from localsearch.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(service.settings, window)
    dialog.show()
    shot("7-settings.png", dialog)
    dialog.close()
    import dataclasses

    started: list[str] = []
    window.api.started.connect(started.append)
    window.api.sync(dataclasses.replace(service.settings, serve_api=True, api_port=0))  # what the checkbox does
    pump(lambda: bool(started), timeout=30)
    shot("8-other-apps-can-search.png")
    dark = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#1f2226"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                        (QPalette.ColorRole.Base, "#15171a"), (QPalette.ColorRole.AlternateBase, "#262a2f"),
                        (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#2a2e33"),
                        (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#2563eb"),
                        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#9aa0a6"),
                        (QPalette.ColorRole.Mid, "#3a3f45")):
        dark.setColor(role, QColor(color))
    app.setPalette(dark)
    results("Documents and photos", "invoice 2024-0042", "4-dark-palette.png", select_first=True)
    shown.clear()
    pump(lambda: window.model.rowCount() > 0)
    window.view.setCurrentIndex(window.model.index(0))
    window.toggle_preview()
    pump(lambda: bool(shown))
    shot("22-preview-dark.png")
    window.toggle_preview()
    dialog = SettingsDialog(dataclasses.replace(service.settings, serve_api=True), window)
    dialog.show()
    shot("9-settings-dark.png", dialog)
    dialog.close()
    app.setPalette(QPalette())
    done.clear()
    window.find_similar(str(photos / "sunset in the hills.jpg"))  # what dropping that photo does
    pump(lambda: bool(done) and len(window.model._pixmaps) >= 4, timeout=60)
    shot("5-similar-photos.png")
    app.setPalette(dark)  # a smaller window in the dark palette for the folder-moved state
    window.resize(900, 620)
    moved = demo.with_name("Documents (moved)")
    demo.rename(moved)  # the folder moved outside LocalSearch: offline, index kept, Locate offered
    pump(lambda: window.states.get("Documents") is not None and window.states["Documents"].mode == "offline", 60)
    from PySide6.QtCore import QTimer

    row = next(i for i in range(window.sidebar.count()) if window.sidebar.item(i).text().startswith("Documents"))
    QTimer.singleShot(600, lambda: shot_screen("10-offline-folder-menu.png"))
    window.collections.menu(window.sidebar.visualItemRect(window.sidebar.item(row)).center())
    window.collections.locate_folder("Documents", str(demo), str(moved))
    pump(lambda: window.states.get("Documents") is not None and window.states["Documents"].mode == "watching", 60)
    shot("11-folder-located.png")
    from localsearch.gui.app import repair_box

    box, _ = repair_box(f"The catalog {service.paths.catalog} is damaged (database disk image is malformed). It "
                        "holds only LocalSearch's index, not your files.")
    box.show()
    shot("12-damaged-catalog-dark.png", box)
    app.setPalette(QPalette())
    shot("13-damaged-catalog.png", box)
    box.close()
    from PySide6.QtWidgets import QMessageBox

    from localsearch.gui import menus

    about = QMessageBox(QMessageBox.Icon.NoIcon, "About LocalSearch", menus.about_text(window),
                        QMessageBox.StandardButton.Ok, window)
    about.show()
    shot("14-about.png", about)
    about.close()
    for size, name in (((800, 500), "15-800x500.png"), ((1920, 1080), "16-1920x1080.png")):
        window.resize(*size)
        results("Documents and photos", "how much do I pay the landlord every month", name)
    app.setPalette(dark)
    window.resize(800, 500)
    results("Documents and photos", "invoice 2024-0042", "17-800x500-dark.png", select_first=True)
    app.setPalette(QPalette())
    window.close()
    service.close()
    for shot_name, listed in METAINFO.items():  # the AppStream metainfo's <screenshots> point at these
        QImage(str(out / shot_name)).save(str(ROOT / "packaging" / "linux" / "screenshots" / listed))


METAINFO = {"23-mixed-strip.png": "search.png", "21-preview-pdf.png": "preview.png",
            "4-dark-palette.png": "dark.png", "27-progress-details.png": "progress.png"}
"""The shots the metainfo lists (packaging/linux/screenshots, refreshed by every run)."""


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "screenshots")
