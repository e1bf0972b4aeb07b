"""The result list: a model over search hits and a delegate that draws name, path, snippet and why it matched."""

import html
import os
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPalette, QPixmap, QTextDocument
from PySide6.QtWidgets import (QFileIconProvider, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem)

from localsearch.core.similar import SAME as SAME_PHOTO
from localsearch.core.types import Hit
from localsearch.gui.thumbnails import ThumbnailLoader

HitRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


def highlighted(snippet: str, spans: list[tuple[int, int]]) -> str:
    """The snippet as HTML with the query's words in bold; everything else escaped."""
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(html.escape(snippet[pos:a]))
        out.append("<b>" + html.escape(snippet[a:b]) + "</b>")
        pos = b
    out.append(html.escape(snippet[pos:]))
    return " ".join("".join(out).split())


class ResultsModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailLoader) -> None:
        super().__init__()
        self.hits: list[Hit] = []
        self.thumbnails = thumbnails
        self._pixmaps: dict[str, QPixmap] = {}
        self._icons: dict[str, QIcon] = {}
        self._provider = QFileIconProvider()
        thumbnails.loaded.connect(self._thumbnail_loaded)

    def set_hits(self, hits: list[Hit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def append_hits(self, hits: list[Hit]) -> None:
        """More rows below the ones shown (selection and scroll position stay)."""
        if not hits:
            return
        self.beginInsertRows(QModelIndex(), len(self.hits), len(self.hits) + len(hits) - 1)
        self.hits = self.hits + hits
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(hit.path)
        if role == Qt.ItemDataRole.ToolTipRole:  # why, in words (tiles show no line for it); the exact score
            return "\n".join([hit.path, *([" · ".join(hit.why)] if hit.why else []), f"score {hit.score:.4f}"])
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.DecorationRole:
            return self.decoration(hit)
        return None

    def decoration(self, hit: Hit) -> QPixmap | QIcon:
        if hit.kind == "photo":
            pix = self._pixmaps.get(hit.path)
            if pix is not None:
                return pix
            self.thumbnails.request(hit.path)
        suffix = Path(hit.path).suffix.lower()
        if suffix not in self._icons:
            from PySide6.QtCore import QFileInfo

            icon = self._provider.icon(QFileInfo(hit.path))
            self._icons[suffix] = icon if not icon.isNull() else self._provider.icon(QFileIconProvider.IconType.File)
        return self._icons[suffix]

    def _thumbnail_loaded(self, path: str, image: QImage) -> None:
        if image.isNull():
            return
        self._pixmaps[path] = QPixmap.fromImage(image)  # on the GUI thread, as QPixmap must be
        for row, hit in enumerate(self.hits):
            if hit.path == path:
                idx = self.index(row)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class ResultDelegate(QStyledItemDelegate):
    """List mode: icon, name, why it matched, folder, highlighted passage. Icon mode: a thumbnail tile."""

    ROW_HEIGHT = 92
    ICON = 56
    TILE = QSize(176, 196)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tile = QSize(self.TILE)  # a photo's tile in a grid or strip (the window's zoom changes it)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        view = option.widget
        if isinstance(view, QListView) and view.viewMode() == QListView.ViewMode.IconMode:
            return self.tile
        width = view.viewport().width() if isinstance(view, QListView) else option.rect.width()
        return QSize(width, self.ROW_HEIGHT)  # the view's width: rows elide, never scroll sideways

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit: Hit = index.data(HitRole)
        style = option.widget.style() if option.widget else None
        painter.save()
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        dim = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText)
        deco = index.data(Qt.ItemDataRole.DecorationRole)
        view = option.widget
        if isinstance(view, QListView) and view.viewMode() == QListView.ViewMode.IconMode:
            self._paint_tile(painter, option.rect, hit, deco, text_color)
        else:
            self._paint_row(painter, option, hit, deco, text_color, dim)
        painter.restore()

    def _draw_deco(self, painter: QPainter, rect: QRect, deco: object) -> None:
        if isinstance(deco, QPixmap) and not deco.isNull():
            scaled = deco.scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
            x = rect.x() + (rect.width() - scaled.width()) // 2
            y = rect.y() + (rect.height() - scaled.height()) // 2
            painter.drawPixmap(x, y, scaled)
        elif isinstance(deco, QIcon):
            deco.paint(painter, rect)

    def _badge(self, painter: QPainter, rect: QRect, label: str, corner: bool = False) -> None:
        """White bold text on a rounded box: the file type at the foot of an icon (generic icon themes
        draw every document alike), or (corner) a note in a picture's top-left corner, readable on any
        photo."""
        if not label:
            return
        font = QFont(painter.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * (0.8 if corner else 0.7)))
        font.setBold(True)
        painter.save()
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(label) + (10 if corner else 8)
        box = QRect(rect.x() + 4, rect.y() + 4, width, 18) if corner else \
            QRect(rect.center().x() - width // 2, rect.bottom() - 20, width, 15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170) if corner else QColor("#2563eb"))
        painter.drawRoundedRect(box, 4 if corner else 3, 4 if corner else 3)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        painter.restore()

    def _paint_tile(self, painter: QPainter, rect: QRect, hit: Hit, deco: object, color: object) -> None:
        pad = 8
        thumb = QRect(rect.x() + pad, rect.y() + pad, rect.width() - 2 * pad, rect.height() - 2 * pad - 24)
        self._draw_deco(painter, thumb, deco)
        if hit.why and hit.why[0] == SAME_PHOTO:  # a resized, cropped or re-encoded copy
            self._badge(painter, thumb, "same photo", corner=True)
        painter.setPen(color)
        name_rect = QRect(rect.x() + pad, thumb.bottom() + 4, rect.width() - 2 * pad, 20)
        name = painter.fontMetrics().elidedText(os.path.basename(hit.path), Qt.TextElideMode.ElideMiddle,
                                                name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, name)

    def _paint_row(self, painter: QPainter, option: QStyleOptionViewItem, hit: Hit, deco: object,
                   color: object, dim: object) -> None:
        r = option.rect
        pad = 10
        icon_rect = QRect(r.x() + pad, r.y() + (r.height() - self.ICON) // 2, self.ICON, self.ICON)
        self._draw_deco(painter, icon_rect, deco)
        if not isinstance(deco, QPixmap):
            self._badge(painter, icon_rect, Path(hit.path).suffix.lstrip(".").upper()[:4])
        x = icon_rect.right() + pad + 4
        width = r.right() - x - pad
        fm = painter.fontMetrics()
        # Why it matched, in words, where a bare score would say nothing: "words: rent, monthly · meaning".
        why = " · ".join(w for w in hit.why if not w.startswith("page "))  # the page is on the path line
        why_w = min(fm.horizontalAdvance(why) + 12, width * 2 // 5) if why else 0
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(color)
        title = painter.fontMetrics().elidedText(os.path.basename(hit.path), Qt.TextElideMode.ElideMiddle,
                                                 width - why_w)
        painter.drawText(QRect(x, r.y() + 6, width - why_w, 20), Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(option.font)
        painter.setPen(dim)
        if why:
            painter.drawText(QRect(r.right() - pad - why_w, r.y() + 6, why_w, 20),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(why, Qt.TextElideMode.ElideRight, why_w - 6))
        where = os.path.dirname(hit.path) + (f"  ·  page {hit.page}" if hit.page else "")
        painter.drawText(QRect(x, r.y() + 26, width, 18), Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(where, Qt.TextElideMode.ElideMiddle, width))
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setDocumentMargin(0)
        doc.setTextWidth(width)
        color_name = color.name() if hasattr(color, "name") else "black"
        doc.setHtml(f'<div style="color:{color_name}">{highlighted(hit.snippet, hit.match_spans)}</div>')
        painter.save()
        painter.translate(x, r.y() + 46)
        painter.setClipRect(QRect(0, 0, width, r.height() - 50))
        doc.drawContents(painter)
        painter.restore()
