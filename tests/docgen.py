"""Real files of every supported format, generated offline for the tests."""

import zipfile
from pathlib import Path


def pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=12)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 8, text)
    doc.output(str(path))
    return path


def encrypted_pdf(path: Path, text: str) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_encryption(owner_password="owner", user_password="secret")
    doc.set_font("helvetica", size=12)
    doc.add_page()
    doc.multi_cell(0, 8, text)
    doc.output(str(path))
    return path


def docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None) -> Path:
    import docx as python_docx

    d = python_docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                t.cell(i, j).text = cell
    d.save(str(path))
    return path


def pptx(path: Path, slides: list[str]) -> Path:
    import pptx as python_pptx

    deck = python_pptx.Presentation()
    for text in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = text.split(".")[0]
        slide.placeholders[1].text = text
    deck.save(str(path))
    return path


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    for r in rows:
        sheet.append(r)
    book.save(str(path))
    return path


def epub(path: Path, title: str, chapters: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                   'container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                   'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
                        for i in range(len(chapters)))
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        z.writestr("OEBPS/content.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
                   f'<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title></metadata>'
                   f"<manifest>{items}</manifest><spine>{spine}</spine></package>")
        for i, text in enumerate(chapters):
            z.writestr(f"OEBPS/c{i}.xhtml",
                       f'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>{text}</p></body></html>')
    return path


def rtf(path: Path, text: str) -> Path:
    path.write_text("{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard " + text + "\\par}")
    return path


def zip_bomb_docx(path: Path, expanded_mib: int = 600) -> Path:
    """A DOCX-shaped zip whose one member inflates to `expanded_mib` MiB of zeros."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(expanded_mib):
                f.write(block)
    return path


MIXED = {
    "passport.md": "# Renewing a passport\n\nTo renew your passport, fill in the renewal form and send your old "
                   "passport with two recent photos. Renewal takes about three weeks.",
    "notes/garden.txt": "Tomatoes need full sun, regular watering and stakes for support. Prune the suckers "
                        "every week and feed them with compost.",
    "notes/recipe.html": "<html><head><title>Cake</title><style>p{}</style></head><body><p>Chocolate cake: melt the "
                         "butter and chocolate, whisk eggs with sugar, fold in flour, bake 35 minutes at 180 C."
                         "</p></body></html>",
}


def mixed_folder(root: Path) -> Path:
    """A small folder of real files in every format, each about one clear topic."""
    for rel, text in MIXED.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    pdf(root / "contract.pdf", ["Rental agreement between the landlord and the tenant.",
                                "The monthly rent is due on the first day of each month. A deposit of two "
                                "months' rent is held against damage to the apartment."])
    docx(root / "invoice.docx", ["INVOICE 2024-0042", "Bill to ACME Corp for consulting services.",
                                 "Amount due 1,250.00 EUR within 30 days."], [["Item", "Price"], ["Audit", "1250"]])
    pptx(root / "talk.pptx", ["Migration of birds. Swallows fly south to Africa every autumn.",
                              "Navigation. Birds use the earth's magnetic field to find their way."])
    xlsx(root / "budget.xlsx", [["Category", "Amount"], ["Electricity bill", 84], ["Groceries", 412]])
    epub(root / "novel.epub", "The Lighthouse", ["The keeper climbed the lighthouse stairs at dusk to light "
                                                 "the great lamp for the ships at sea."])
    rtf(root / "letter.rtf", "Dear Sir, I am writing to complain about the noisy neighbours upstairs.")
    return root
