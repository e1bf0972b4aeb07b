"""Settings and failures dialogs."""

import dataclasses

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHeaderView,
                               QLabel, QPlainTextEdit, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from localsearch.core.settings import DEFAULT_TEXT_MODEL, Settings


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("LocalSearch settings")
        self.setMinimumWidth(520)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItem(DEFAULT_TEXT_MODEL)
        self.model.setCurrentText(settings.text_model)
        self.model.setToolTip("'default' is the built-in offline model (all-MiniLM-L6-v2). Or type a local "
                              "sentence-transformers folder, or a model name to download.")
        self.image_model = QComboBox()
        self.image_model.setEditable(True)
        self.image_model.addItems(["default", "none", "sentence-transformers/clip-ViT-B-32"])
        self.image_model.setCurrentText(settings.image_model)
        self.image_model.setToolTip("'default' is the built-in offline photo model (EfficientNet-Lite0: look-alikes, "
                                    "and words through its labels). A CLIP model (a local folder, or a name to "
                                    "download) lets words find photos directly. 'none' indexes photos by name.")
        self.ocr = QCheckBox("Read text in photos and scanned PDFs (slow; runs after they are searchable)")
        self.ocr.setChecked(settings.ocr)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(settings.device)
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
        form.addRow("Text model", self.model)
        form.addRow("Photo model", self.image_model)
        form.addRow("", self.ocr)
        form.addRow("Device", self.device)
        form.addRow("Largest file to read", self.max_mb)
        form.addRow("Skip files and folders named", self.excludes)
        form.addRow("", self.serve_api)
        note = QLabel("Changing the text or photo model re-indexes every collection; searches keep working by "
                      "keywords meanwhile.")
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
        return dataclasses.replace(self.original, text_model=self.model.currentText().strip() or DEFAULT_TEXT_MODEL,
                                   image_model=self.image_model.currentText().strip() or "default",
                                   ocr=self.ocr.isChecked(), serve_api=self.serve_api.isChecked(),
                                   device=self.device.currentText(), max_file_mb=self.max_mb.value(),
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
        layout.addWidget(QLabel(f"{len(failures)} file(s) could not be indexed. Fix them (or leave them) and "
                                "retry; files are also retried on the next start."))
        layout.addWidget(self.table)
        layout.addWidget(buttons)
