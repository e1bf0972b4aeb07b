"""`localsearch install-desktop`: the launcher entry, its icon and the AppStream metadata, put into the
user's own XDG data folder (no root), so the desktop's menu and search list LocalSearch and start the
installed command; `uninstall-desktop` takes them out again."""

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

APP_ID = "io.github.localsearch.LocalSearch"
"""The reverse-DNS id of the desktop entry, the metainfo and the icon; also the window's desktop file
name (app.py), which ties the window to its entry on Wayland and KDE."""


def data_home() -> Path:
    """$XDG_DATA_HOME, else ~/.local/share (the XDG Base Directory rule)."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def _shipped() -> dict[str, Path]:
    """The files as shipped: beside the source in a checkout, or under <prefix>/share/localsearch from a
    wheel (see pyproject's data-files)."""
    checkout = Path(__file__).resolve().parents[2]
    installed = Path(sys.prefix) / "share" / "localsearch"
    names = {"desktop": f"{APP_ID}.desktop", "metainfo": f"{APP_ID}.metainfo.xml", "icon": "localsearch.svg"}
    found: dict[str, Path] = {}
    for key, name in names.items():
        for base in (checkout / "packaging" / "linux", checkout / "resources", installed):
            if (base / name).is_file():
                found[key] = base / name
                break
    return found


ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
"""The fixed sizes of the hicolor theme that menus, docks and task switchers look up first; each is
rendered from the one shipped SVG (never drawn by hand, never scaled from another bitmap)."""


@dataclass(frozen=True)
class Installed:
    desktop: Path
    icon: Path
    metainfo: Path
    bitmaps: tuple[Path, ...]

    def files(self) -> tuple[Path, ...]:
        return (self.desktop, self.icon, self.metainfo, *self.bitmaps)


def targets(home: Path | None = None) -> Installed:
    base = home or data_home()
    hicolor = base / "icons" / "hicolor"
    return Installed(base / "applications" / f"{APP_ID}.desktop",
                     hicolor / "scalable" / "apps" / f"{APP_ID}.svg",
                     base / "metainfo" / f"{APP_ID}.metainfo.xml",
                     tuple(hicolor / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES))


def render_icon(svg: Path, size: int, out: Path) -> None:
    """The SVG drawn at size × size onto a transparent canvas (QtSvg, antialiased) and saved as PNG."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise OSError(f"cannot read the icon {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out)):  # PNG, from the name
        raise OSError(f"cannot write {out}")


def launcher() -> str:
    """The command the entry runs: the installed `localsearch` this process belongs to."""
    beside = Path(sys.executable).parent / "localsearch"
    found = str(beside) if beside.is_file() else shutil.which("localsearch")
    return os.path.abspath(found) if found else f"{sys.executable} -m localsearch"


def _quoted(command: str) -> str:
    """A path for a .desktop Exec line (the spec's quoting, for paths with spaces)."""
    if " " not in command or command.startswith(sys.executable + " "):
        return command
    return '"' + command.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$") + '"'


def install(home: Path | None = None) -> Installed:
    """Write the entry (Exec: this installation's command, Icon: the app id), the icon and the metainfo.
    Raises FileNotFoundError naming what is missing from this installation."""
    shipped = _shipped()
    missing = sorted({"desktop", "icon", "metainfo"} - set(shipped))
    if missing:
        raise FileNotFoundError(f"this installation lacks its {', '.join(missing)} file(s)")
    out = targets(home)
    lines = []
    for line in shipped["desktop"].read_text().splitlines():
        if line.startswith("Exec="):
            line = f"Exec={_quoted(launcher())} gui"
        elif line.startswith("Icon="):
            line = f"Icon={APP_ID}"
        lines.append(line)
    for path in out.files():
        path.parent.mkdir(parents=True, exist_ok=True)
    out.desktop.write_text("\n".join(lines) + "\n")
    shutil.copyfile(shipped["icon"], out.icon)
    shutil.copyfile(shipped["metainfo"], out.metainfo)
    for size, bitmap in zip(ICON_SIZES, out.bitmaps, strict=True):
        render_icon(shipped["icon"], size, bitmap)
    return out


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what install() wrote; returns the files that were there."""
    removed = []
    out = targets(home)
    for path in out.files():
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
