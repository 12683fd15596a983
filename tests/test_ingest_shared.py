"""Ingest on the real data in ../shared (skipped when it is absent)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from lxml import etree

from litdigest.config import IngestSettings
from litdigest.documents import Format
from litdigest.ingest import detect_format, read_file, read_file_detailed

pytestmark = pytest.mark.shared
SETTINGS = IngestSettings()


def _files(shared_dir: Path, pattern: str) -> list[Path]:
    files = sorted((shared_dir / "corpus").glob(pattern))
    if not files:
        pytest.skip(f"no {pattern} in ../shared/corpus")
    return files


def test_ris_seed(shared_dir: Path) -> None:
    path = shared_dir / "seeds" / "002_77d95767849ded9b.txt"
    if not path.is_file():
        pytest.skip("RIS seed not present")
    assert detect_format(path.read_bytes(), path) is Format.RIS
    (record,) = read_file(path, SETTINGS)
    assert record.source == str(path)
    assert record.metadata.doi == "10.1038/nrd3626"
    assert record.metadata.year == 2012
    assert record.metadata.journal == "Nature Reviews Drug Discovery"
    assert record.metadata.title == "The secret ally"
    assert record.metadata.authors[0] == "Galluzzi, Lorenzo"
    assert record.text.count("It has recently become clear that the tumour microenvironment") == 1
    assert "Funding" not in record.text
    assert " g- including classical chemotherapeutics" in record.text  # left for the cleaner


def test_other_seeds_are_text(shared_dir: Path) -> None:
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    if not seeds:
        pytest.skip("no seeds")
    for path in seeds:
        records = read_file(path, SETTINGS)
        assert records and all(r.text.strip() for r in records)


def test_pubmed_xml(shared_dir: Path) -> None:
    for path in _files(shared_dir, "pubmed/pubmed*.xml"):
        assert detect_format(path.read_bytes(), path) is Format.PUBMED_XML
        records, errors = read_file_detailed(path, SETTINGS)
        assert records, path
        assert errors == [], errors
        for record in records:
            assert record.metadata.title, record.source
            assert record.metadata.year, record.source
            assert record.metadata.journal, record.source
            assert record.text.startswith(record.metadata.title)


def test_pubmed_xml_structured_abstract_and_doi(shared_dir: Path) -> None:
    path = shared_dir / "corpus" / "pubmed" / "pubmed5.xml"
    if not path.is_file():
        pytest.skip("pubmed5.xml not present")
    (record,) = read_file(path, SETTINGS)
    assert record.metadata.doi == "10.1136/oemed-2017-104431"
    labels = [p.split(":", 1)[0] for p in record.text.split("\n\n")[1:]]
    assert labels == ["OBJECTIVES", "METHODS", "RESULTS", "CONCLUSIONS"]


def test_medline(shared_dir: Path) -> None:
    for path in _files(shared_dir, "pubmed/pubmed_result*.txt"):
        assert detect_format(path.read_bytes(), path) is Format.MEDLINE
        records, errors = read_file_detailed(path, SETTINGS)
        assert records and errors == [], path
        for record in records:
            assert record.metadata.title, record.source
            assert record.metadata.authors, record.source
            assert record.metadata.year, record.source


def _reference_titles(path: Path) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    titles = []
    for ref in root.iter("ref"):
        for el in ref.iter("article-title", "source"):
            text = " ".join(
                etree.tostring(el, method="text", encoding="unicode", with_tail=False).split()
            )
            if len(text) > 40:
                titles.append(text)
    return titles


def test_pmc_jats(shared_dir: Path) -> None:
    lengths = []
    for path in _files(shared_dir, "pmc/*.nxml"):
        assert detect_format(path.read_bytes(), path) is Format.JATS
        (record,) = read_file(path, SETTINGS)
        meta = record.metadata
        assert meta.title and meta.year and meta.doi and meta.journal and meta.authors, path
        assert record.text.startswith(meta.title)
        # 6605965a.nxml has only ~12k characters of article text outside tables and references.
        assert len(record.text) > 10_000, path
        lengths.append(len(record.text))
        refs = _reference_titles(path)
        assert refs, path
        leaked = [t for t in refs if t in record.text]
        assert leaked == [], (path, leaked[:3])
        lines = record.text.split("\n")
        assert not any(line.strip() in {"References", "Acknowledgements"} for line in lines)
        assert "[]" not in record.text and "()" not in record.text
    assert sum(n > 20_000 for n in lengths) >= len(lengths) - 1


def test_pmc_is_fast(shared_dir: Path) -> None:
    files = _files(shared_dir, "pmc/*.nxml")
    start = time.perf_counter()
    for path in files:
        read_file(path, SETTINGS)
    assert time.perf_counter() - start < 2.0
