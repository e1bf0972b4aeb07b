"""The search bar's small query language, parsed and then used by a real search (hashing model)."""

import datetime
import os
from pathlib import Path

from localsearch.core import query_syntax
from localsearch.core.search import Query


def day(text: str) -> float:
    return datetime.datetime.strptime(text, "%Y-%m-%d").timestamp()


def test_a_plain_question_is_left_as_it_is():
    for text in ["how much is the monthly rent", "invoice 2024-0042", "meeting at 10:30 about http://example.org",
                 "well-known note: -5 degrees", "TCR/CD3 cells"]:
        parsed = query_syntax.parse(text)
        assert parsed == query_syntax.Parsed(text), text


def test_operators_become_filters_and_leave_the_question():
    parsed = query_syntax.parse('rent "monthly payment" -garage type:pdf kind:docs after:2024-02 before:2024 '
                                'in:"Tax returns" -"parking space"')
    assert parsed.text == "rent monthly payment"
    assert parsed.phrases == ("monthly payment",)
    assert parsed.excluded == ("garage", "parking space")
    assert (parsed.file_type, parsed.kind, parsed.folder) == ("pdf", "document", "Tax returns")
    assert parsed.after == day("2024-02-01")
    assert day("2024-12-31") < parsed.before < day("2025-01-01")  # to the end of the year
    assert query_syntax.parse("KIND:Photo TYPE:.docx cat").kind == "photo"
    assert query_syntax.parse("type:docx cat").file_type == ".docx"  # an extension: that extension alone
    assert query_syntax.parse("type:. cat").file_type is None


def test_an_operator_it_cannot_use_is_left_out_with_a_reason():
    parsed = query_syntax.parse("rent type:flac after:yesterday kind:music")
    assert parsed.text == "rent" and parsed.file_type is None and parsed.after is None and parsed.kind is None
    assert len(parsed.problems) == 3 and "type:flac is not a file type" in parsed.problems[0]
    assert "after:yesterday is not a date" in parsed.problems[1]


def test_folders_match_by_name_relative_path_or_full_path():
    roots = ["/home/ana/Documents"]
    path = "/home/ana/Documents/Invoices/2024/march.pdf"
    assert query_syntax.in_folder(path, roots, "invoices")
    assert query_syntax.in_folder(path, roots, "Invoices/2024")
    assert query_syntax.in_folder(path, roots, "Documents")  # the collection folder's own name
    assert query_syntax.in_folder(path, roots, "/home/ana/Documents/Invoices")
    assert not query_syntax.in_folder(path, roots, "2023")
    assert not query_syntax.in_folder(path, roots, "march.pdf")  # a file is not a folder
    assert not query_syntax.in_folder(path, roots, "ana")  # above the collection: every file would match
    assert not query_syntax.in_folder(path, roots, "/home/ana/Doc")


def _folder(root: Path) -> None:
    files = {
        "Invoices/2024/march.txt": ("Invoice for the monthly rent of the flat, paid in March.", "2024-03-05"),
        "Invoices/2023/garage.txt": ("Invoice for the monthly rent of the garage and the parking space.", "2023-11-02"),
        "Letters/landlord.txt": ("Dear landlord, the rent payment for the flat is late this month.", "2024-06-20"),
        "Letters/rent-notes.md": ("Notes: rent is due monthly; the payment monthly goes to the landlord.", "2022-01-10"),
    }
    for name, (text, when) in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.utime(p, (day(when), day(when)))


def names(result) -> list[str]:
    return [Path(h.path).name for h in result.hits]


def test_a_search_narrowed_and_sorted_by_the_operators(service, tmp_path):
    _folder(tmp_path / "docs")
    service.index("docs", [str(tmp_path / "docs")])
    every = names(service.search(Query("rent")))
    assert sorted(every) == ["garage.txt", "landlord.txt", "march.txt", "rent-notes.md"]

    assert sorted(names(service.search(Query("rent in:Invoices")))) == ["garage.txt", "march.txt"]
    assert names(service.search(Query("rent", folder="Invoices/2024"))) == ["march.txt"]
    assert "garage.txt" not in names(service.search(Query("rent -garage")))
    assert "garage.txt" not in names(service.search(Query('rent -"parking space"')))
    assert names(service.search(Query('"monthly rent" -garage'))) == ["march.txt"]  # the phrase, not the words apart
    assert names(service.search(Query("rent type:md"))) == ["rent-notes.md"]
    assert sorted(names(service.search(Query("rent after:2024-01-01")))) == ["landlord.txt", "march.txt"]
    assert names(service.search(Query("rent before:2022"))) == ["rent-notes.md"]

    assert names(service.search(Query("rent", sort="modified"))) == ["landlord.txt", "march.txt", "garage.txt",
                                                                      "rent-notes.md"]
    assert names(service.search(Query("rent", sort="name"))) == ["garage.txt", "landlord.txt", "march.txt",
                                                                  "rent-notes.md"]
    bad = service.search(Query("rent type:flac"))
    assert sorted(names(bad)) == sorted(every) and "type:flac is not a file type" in bad.warnings[0]
    only = service.search(Query("kind:photo"))
    assert only.hits == [] and "add words to search for" in only.warnings[0]


def test_a_literal_query_reads_quotes_dashes_and_colons_as_text(service, tmp_path):
    """Pasted or generated text (an IR collection's questions, a program's input): its quotes are prose."""
    _folder(tmp_path / "docs")
    service.index("docs", [str(tmp_path / "docs")])
    typed = names(service.search(Query('"monthly rent" -garage in:Invoices')))
    assert typed == ["march.txt"]
    pasted = service.search(Query('"monthly rent" -garage in:Invoices', literal=True))
    assert "garage.txt" in names(pasted) and len(names(pasted)) > 1 and pasted.warnings == []
    assert Query('"a" -b type:pdf', literal=True).with_syntax() == (Query('"a" -b type:pdf', literal=True), [])
