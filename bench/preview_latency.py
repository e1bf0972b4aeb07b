"""How fast the preview pane shows a long document already indexed: a 100-page PDF whose every page
holds the query's words. Times core.preview (the catalog read and the matching) and, in the window
(offscreen), the selection to the pane filled. Medians and p95 of R rounds; prints JSON.

    QT_QPA_PLATFORM=offscreen python bench/preview_latency.py [--pages 100 --rounds 20]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings


def write_pdf(path: Path, pages: int) -> None:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for i in range(pages):
        doc.add_page()
        doc.multi_cell(0, 6, f"Chapter {i + 1}. The lighthouse keeper wrote in the logbook about the weather, "
                             "the ships that passed, the oil for the lamp and the fog horn. " * 6)
    doc.output(str(path))


def stats(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        pdf = docs / "logbook.pdf"
        write_pdf(pdf, args.pages)
        settings = Settings(text_model="hashing", ocr=False, image_model="none")
        service = Service(paths.resolve(Path(tmp) / "home"), settings, HashingEmbedder())
        service.index("docs", [str(docs)])
        core = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            p = service.preview(str(pdf), "lighthouse fog horn")
            core.append((time.perf_counter() - t0) * 1000)
        from PySide6.QtWidgets import QApplication

        from localsearch.gui.main_window import MainWindow

        app = QApplication.instance() or QApplication(sys.argv[:1])
        window = MainWindow(service, watch=False)
        window.show()
        hit = service.search(Query("lighthouse fog horn", k=1)).hits[0]
        shown: list[str] = []
        window.preview.shown.connect(shown.append)
        window.preview.setVisible(True)
        pane = []
        for _ in range(args.rounds):
            window.preview.clear()
            shown.clear()
            t0 = time.perf_counter()
            window.preview.show_hit(hit, "lighthouse fog horn")
            while not shown:
                app.processEvents()
                time.sleep(0.0005)
            pane.append((time.perf_counter() - t0) * 1000)
        window.shutdown()
        service.close()
    print(json.dumps({"bench": "preview_latency", "pages": args.pages, "passages": p.total,
                      "matching_passages": p.matching, "rounds": args.rounds, "core_preview": stats(core),
                      "window_selection_to_pane_filled": stats(pane)}, indent=1))


if __name__ == "__main__":
    main()
