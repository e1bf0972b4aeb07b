"""Families of file types a search can be narrowed to (the window's and the CLI's type filter)."""

FILE_TYPES: dict[str, frozenset[str]] = {
    "pdf": frozenset({".pdf"}),
    "word": frozenset({".docx", ".rtf"}),
    "slides": frozenset({".pptx"}),
    "spreadsheet": frozenset({".xlsx", ".xlsm", ".csv", ".tsv"}),
    "ebook": frozenset({".epub"}),
    "web": frozenset({".html", ".htm", ".xhtml"}),
    "text": frozenset({".txt", ".md", ".markdown", ".rst", ".org", ".log", ""}),
    "code": frozenset({".py", ".js", ".ts", ".c", ".h", ".cpp", ".java", ".go", ".rs", ".rb", ".sh", ".sql"}),
    "image": frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif",
                        ".avif"}),
}
