"""Settings and failures dialogs."""

import dataclasses

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHeaderView,
                               QLabel, QPlainTextEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from localsearch.core import wording
from localsearch.core.embed.factory import MULTILINGUAL
from localsearch.core.settings import DEFAULT_TEXT_MODEL, Settings


TEXT_MODELS = [("Built-in English (fastest; all-MiniLM-L6-v2)", DEFAULT_TEXT_MODEL),
               ("Built-in multilingual (about 100 languages; reads documents about 15 times slower; multilingual-e5-small)",
                MULTILINGUAL)]
PHOTO_MODELS = [("Built-in, works offline (EfficientNet-Lite0)", "default"),
                ("Off: photos are found by their names only", "none"),
                ("CLIP ViT-B/32: words find photos directly (downloads once)", "sentence-transformers/clip-ViT-B-32")]
DEVICES = [("Automatic: when there is one", "auto"), ("Never: the processor only", "cpu"),
           ("Always: an NVIDIA card (CUDA)", "cuda")]
PRECISIONS = [("Automatic: fast for new collections, the others as they are", "auto"),
              ("Fast: about 2.5 times quicker on the processor", "int8"),
              ("Exact: full precision, slower", "full")]


def choices(combo: QComboBox, options: list[tuple[str, str]], current: str) -> None:
    """Options shown in words, each standing for a setting's value; an editable combo also takes a typed
    value (a model folder or name), kept as typed."""
    for words, value in options:
        combo.addItem(words, value)
    at = combo.findData(current)
    if at >= 0:
        combo.setCurrentIndex(at)
    else:
        combo.setEditText(current)


def chosen(combo: QComboBox) -> str:
    """The setting's value for what the combo shows: an option's value, else the text typed."""
    text = combo.currentText().strip()
    at = combo.findText(text)
    return str(combo.itemData(at)) if at >= 0 else text


def explained(widget: QWidget, text: str) -> QWidget:
    """A setting with a short explanation under it, in smaller, dimmer type."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    note = QLabel(text)
    note.setWordWrap(True)
    note.setStyleSheet("QLabel { color: palette(placeholder-text); }")
    font = note.font()
    font.setPointSizeF(font.pointSizeF() * 0.9)
    note.setFont(font)
    layout.addWidget(note)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LocalSearch settings")
        self.setMinimumWidth(560)
        self.model = QComboBox()
        self.model.setEditable(True)
        choices(self.model, TEXT_MODELS, settings.text_model)
        self.image_model = QComboBox()
        self.image_model.setEditable(True)
        choices(self.image_model, PHOTO_MODELS, settings.image_model)
        self.ocr = QCheckBox("Read text in photos and scanned PDFs (slow; runs after they are searchable)")
        self.ocr.setChecked(settings.ocr)
        self.device = QComboBox()
        choices(self.device, DEVICES, settings.device)
        self.precision = QComboBox()
        choices(self.precision, PRECISIONS, settings.text_precision)
        self.max_mb = QDoubleSpinBox()
        self.max_mb.setRange(1, 100_000)
        self.max_mb.setSuffix(" MiB")
        self.max_mb.setValue(settings.max_file_mb)
        self.serve_api = QCheckBox("Let other apps on this computer search (launchers, editors, scripts)")
        self.serve_api.setChecked(settings.serve_api)
        self.serve_api.setToolTip(f"A local HTTP service on 127.0.0.1:{settings.api_port}, for programs that have the "
                                  "token (localsearch serve --show-token). Other computers cannot reach it.")
        self.excludes = QPlainTextEdit("\n".join(settings.excludes))
        self.excludes.setPlaceholderText("one name pattern per line, e.g. node_modules or *.log")
        form = QFormLayout()
        form.addRow("Text model", explained(self.model, "Finds your documents by meaning; the multilingual model "
                                            "also finds them across languages. Or type a folder holding a "
                                            "sentence-transformers model, or a model name to download once."))
        form.addRow("Photo model", explained(self.image_model, "Finds photos that look alike, and photos by what "
                                             "they show. Or type a CLIP model's folder or name."))
        form.addRow("", self.ocr)
        form.addRow("Use the graphics card", explained(self.device, "For indexing and search; Automatic uses an "
                                                       "NVIDIA card when there is one."))
        form.addRow("Reading speed", explained(self.precision, "Fast reads documents with 8-bit arithmetic: the "
                                               "same results to within 1 %. Switching re-reads the collections made "
                                               "the other way."))
        form.addRow("Largest file to read", self.max_mb)
        form.addRow("Skip files and folders named", self.excludes)
        form.addRow("", self.serve_api)
        note = QLabel("Changing the text or photo model indexes every collection again in the background; "
                      "searches keep using the current index until the new one is complete.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.original = settings

    def result_settings(self) -> Settings:
        excludes = [line.strip() for line in self.excludes.toPlainText().splitlines() if line.strip()]
        return dataclasses.replace(self.original, text_model=chosen(self.model) or DEFAULT_TEXT_MODEL,
                                   image_model=chosen(self.image_model) or "default",
                                   ocr=self.ocr.isChecked(), serve_api=self.serve_api.isChecked(),
                                   device=chosen(self.device) or "auto", max_file_mb=self.max_mb.value(),
                                   text_precision=chosen(self.precision) or "auto",
                                   excludes=excludes)


class FailuresDialog(QDialog):
    """Files that could not be indexed, with their reasons; Retry asks for a new pass."""

    def __init__(self, collection: str, failures: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Files not indexed — {collection}")
        self.resize(760, 420)
        self.table = QTableWidget(len(failures), 2)
        self.table.setHorizontalHeaderLabels(["File", "Reason"])
        for row, (path, reason) in enumerate(failures):
            self.table.setItem(row, 0, QTableWidgetItem(path))
            self.table.setItem(row, 1, QTableWidgetItem(reason))
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.retry = QPushButton("Retry all")
        self.retry.clicked.connect(self.accept)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QDialogButtonBox()
        buttons.addButton(self.retry, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(close, QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{wording.counted(len(failures), 'file')} could not be indexed. Fix them (or leave them) and "
                                "retry; files are also retried on the next start."))
        layout.addWidget(self.table)
        layout.addWidget(buttons)
