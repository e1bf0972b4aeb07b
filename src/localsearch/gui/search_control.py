"""Searching in the window: the query from the search field and the filters, a first page at once and
the rest of the list below it, the reranker's order when it is done, look-alike photos and Back, the
empty state. Searches run on their own workers; a result that a newer keystroke made stale is dropped.
"""

import html
import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QListView

from localsearch.core import log, query_syntax
from localsearch.core.errors import KnownError
from localsearch.core.search import Query
from localsearch.core.searcher import SearchResult
from localsearch.core.types import Hit
from localsearch.gui.filters import KINDS, MODIFIED, SORTS, TYPES
from localsearch.gui.lookalike import Place
from localsearch.gui.photostrip import split
from localsearch.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from localsearch.gui.main_window import MainWindow

LIST_LENGTH = 200
"""Hits a search lists (the count says when there are more)."""
FIRST_PAGE = 40
"""Hits searched first, more than a screen holds: shown as soon as they are ready, and the rest of the
list follows from a second search (200 snippets cost ~30 ms at 100,000 passages, 40 cost ~7 ms)."""


def result_count(shown: int, total: int) -> str:
    """How many results, in words: all of them, or how many of at least how many when the list is cut."""
    if shown == 0:
        return ""
    if total > shown:
        return f"{shown} of ≥{total} results"
    return f"{shown} result{'s' if shown != 1 else ''}"


class SearchControl(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.w = window
        self.searches = TaskRunner(1, self)
        self.reranks = TaskRunner(1, self)  # a cross-encoder's pass never holds up the next search
        self.seq = 0
        self.similar_to: str | None = None  # the photo whose look-alikes are shown, if they are

    def current_query(self) -> Query:
        w = self.w
        name = w.selected_collection()
        within, older_than = MODIFIED[w.modified.currentText()]
        now = time.time()
        return Query(w.search.text().strip(), k=LIST_LENGTH, collections=[name] if name else None,
                     kind=KINDS[w.kind.currentText()], file_type=TYPES[w.file_type.currentText()],
                     modified_after=now - within if within else None,
                     modified_before=now - older_than if older_than else None, sort=SORTS[w.sort.currentText()])

    def run(self) -> None:
        w = self.w
        query = self.current_query()
        self.similar_to = None  # typing or a filter leaves the look-alike view
        w.likeness.setVisible(False)
        w.banner.view_changed()
        self.seq += 1
        seq = self.seq
        if not query.text:
            w.model.set_hits([])
            w.strip.show_hits([])
            w.count_label.clear()
            self.update_empty()
            w.search_done.emit(0)
            return
        # A first page, then the rest below it; a list sorted by date or name comes whole, or the rest
        # could hold files that belong above what is already shown.
        first = replace(query, k=FIRST_PAGE) if query.sort == "relevance" else query
        self.searches.run(lambda: w.service.search(first), lambda r: self._show(seq, r, query),
                          lambda e: self._failed(seq, e))

    def find_similar(self, image_path: str, announce: bool = True, remember: bool = True) -> None:
        """Photos that look like this one (a dropped file or a result), as alike as the slider asks;
        remember: what was shown before is kept for Back."""
        w = self.w
        if remember and (w.search.text().strip() or self.similar_to):
            w.history.push(self.place())
        self.seq += 1
        seq = self.seq
        self.similar_to = image_path
        w.likeness.setVisible(True)
        w.likeness.back_button.setEnabled(bool(w.history))
        w.search.blockSignals(True)
        w.search.clear()
        w.search.blockSignals(False)
        w.debounce.stop()
        if announce:
            w.show_message(f"Photos that look like “{os.path.basename(image_path)}”", error=False, about_view=True)
        name = w.selected_collection()

        def failed(e: Exception) -> None:
            if seq == self.seq:
                self.similar_to = None  # an unreadable photo: say so once, not again at every change
            self._failed(seq, e)

        likeness = w.likeness.likeness()
        self.searches.run(lambda: w.service.similar(image_path, k=200, collections=[name] if name else None,
                                                    min_similarity=likeness),
                          lambda r: self._show(seq, r), failed)

    def refresh(self) -> None:
        """The index changed: show the current view again, the look-alikes of a photo or the words'
        results (a text search here would replace look-alikes with the empty search box's view)."""
        if self.similar_to is not None:
            self.find_similar(self.similar_to, announce=False, remember=False)
        else:
            self.w.schedule_search()

    def likeness_changed(self, _: float) -> None:
        if self.similar_to is not None:
            self.find_similar(self.similar_to, announce=False, remember=False)

    def place(self) -> Place:
        return Place(self.w.search.text(), self.similar_to, self.w.view.verticalScrollBar().value())

    def go_back(self) -> None:
        """Back to what was shown before the look-alikes (Alt+Left): that search, or that photo's
        look-alikes, scrolled where it was."""
        w = self.w
        place = w.history.pop()
        if place is None:
            return
        pending = [True]

        def scroll_back(_: int) -> None:
            if pending:
                pending.clear()
                w.search_done.disconnect(scroll_back)
                w.view.verticalScrollBar().setValue(place.scroll)

        w.search_done.connect(scroll_back)
        if place.similar_to is not None:
            self.find_similar(place.similar_to, announce=False, remember=False)
        else:
            w.search.setText(place.text)
            w.debounce.stop()
            self.run()

    def distribute(self, hits: list[Hit], append: bool = False) -> None:
        """Photos and documents together: the photos as a strip above the documents; photos alone: the
        grid; documents alone: the list. append: below what is shown, which stays as it is."""
        model, strip, view = self.w.model, self.w.strip, self.w.view
        if append:
            shown = {h.path for h in model.hits} | {h.path for h in strip.hits}
            hits = [h for h in hits if h.path not in shown]
            photos, docs = split(hits)
            grid = view.viewMode() == QListView.ViewMode.IconMode and bool(model.hits)
            if strip.hits or (model.hits and not grid):  # documents on show: photos to the strip
                strip.append(photos)
                model.append_hits(docs)
                return
            if grid and not docs:  # photos alone, more photos
                model.append_hits(photos)
                return
            hits = model.hits + hits  # nothing yet, or documents join a grid of photos: arrange anew
        photos, docs = split(hits)
        mixed = bool(photos) and bool(docs)
        strip.show_hits(photos if mixed else [])
        model.set_hits(docs if mixed else hits)
        grid = bool(hits) and not docs
        view.setViewMode(QListView.ViewMode.IconMode if grid else QListView.ViewMode.ListMode)
        view.setResizeMode(QListView.ResizeMode.Adjust)

    def shown_count(self) -> int:
        return len(self.w.model.hits) + len(self.w.strip.hits)

    def _show(self, seq: int, result: SearchResult, query: Query | None = None) -> None:
        w = self.w
        if seq != self.seq:
            return  # a newer query was typed meanwhile: drop this one
        if query is not None and result.hits and w.service.settings.reranker.strip():
            # Results now; the cross-encoder reorders them when it is done (its own worker: typing goes on).
            # A rerank queued behind newer keystrokes is skipped, not run: the cross-encoder is the slow part.
            self.reranks.run(lambda: w.service.rerank(query, result) if seq == self.seq else None,
                             lambda r: self._reordered(seq, r), lambda e: self._failed(seq, e))
        self.distribute(result.hits)
        if result.warnings:
            w.show_message(" ".join(result.warnings), error=False)
        w.count_label.setText(result_count(len(result.hits), result.total))
        self.update_empty()
        w.first_results.emit(len(result.hits))
        if query is not None and query.k > FIRST_PAGE and len(result.hits) >= FIRST_PAGE:  # more may follow
            # The rest of the list, unless the user has typed on meanwhile (then it is not run at all).
            self.searches.run(lambda: w.service.search(query) if seq == self.seq else None,
                              lambda r: self._show_rest(seq, r), lambda e: self._failed(seq, e))
            return
        w.search_done.emit(len(result.hits))

    def _show_rest(self, seq: int, result: SearchResult | None) -> None:
        """The list beyond its first page, added below what is on screen (which stays as it is)."""
        if seq != self.seq or result is None:
            return
        self.distribute(result.hits, append=True)
        self.w.count_label.setText(result_count(self.shown_count(), result.total))
        self.w.search_done.emit(self.shown_count())

    def _reordered(self, seq: int, result: SearchResult | None) -> None:
        """The reranker's order for the results on show (dropped if a newer search came meanwhile)."""
        if seq != self.seq or result is None:
            return
        model, strip, view = self.w.model, self.w.strip, self.w.view
        current = view.currentIndex()
        chosen = model.hits[current.row()].path if current.isValid() and current.row() < len(model.hits) else None
        reordered = {h.path for h in result.hits}  # the first page; the rest of the list stays below it
        if strip.hits:
            photos, docs = split(result.hits)
            strip.show_hits(photos + [h for h in strip.hits if h.path not in reordered])
            model.set_hits(docs + [h for h in model.hits if h.path not in reordered])
        else:
            model.set_hits(result.hits + [h for h in model.hits if h.path not in reordered])
        if chosen is not None:
            row = next((i for i, h in enumerate(model.hits) if h.path == chosen), None)
            if row is not None:
                view.setCurrentIndex(model.index(row))
        self.w.reranked.emit(len(result.hits))

    def _failed(self, seq: int, e: Exception) -> None:
        if seq == self.seq:
            self.w.show_message(str(e) if isinstance(e, KnownError) else f"Search failed: {e}")
            log.search.error("search failed", exc_info=e)
            self.w.search_done.emit(0)

    def update_empty(self) -> None:
        w = self.w
        has_rows = w.model.rowCount() > 0
        w.view.setVisible(has_rows)
        w.empty.setVisible(not has_rows)
        if not w.sidebar.ready:
            w.empty.setText("")  # the collections are being read (a moment): no "add a folder" flash
        elif not w.collection_names():
            w.empty.setText("<h2>Search your own files</h2><p>Add a folder to start: click <b>Add folder…</b> "
                            "or drop a folder onto this window.</p><p>Everything stays on this computer.</p>")
        elif not w.search.text().strip():
            w.empty.setText("<h3>Type to search</h3><p>By meaning (“how do I renew my passport”) or by exact "
                            "words and ids (“invoice 2024-0042”).</p>")
        else:
            w.empty.setText(f"<h3>No results</h3><p>{html.escape(self.what_to_try())}</p>")

    def what_to_try(self) -> str:
        """What to change when nothing is found: the filters and operators in force first."""
        w = self.w
        narrowing = [combo.currentText() for _, combo in w.filters.combos[:3] if combo.currentIndex() != 0]
        parsed = query_syntax.parse(w.search.text())
        narrowing += [f'"{p}"' for p in parsed.phrases] + [f"-{x}" for x in parsed.excluded]
        narrowing += [f"{k}:…" for k, v in (("type", parsed.file_type), ("kind", parsed.kind),
                                            ("after", parsed.after), ("before", parsed.before),
                                            ("in", parsed.folder)) if v is not None]
        if narrowing:
            return f"Nothing matches with {', '.join(narrowing)}. Try without them, or other words."
        if w.selected_collection():
            return "Try other words, or search all collections."
        return "Try other words: a question in your own words, or a word the file holds."
