"""A hostile-input corpus, generated here (never committed), through ``litdigest summarize``.

Every bad file gets exactly one stderr line naming it and the reason, and one ``failures``
row; every good file is still summarized; exit code 1; no traceback; no hang (per-step time
limit ``ingest.per_file_timeout_s``); memory bounded; XML entities never resolved; nothing
is fetched and no socket is even opened during ingest.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from litdigest.cli.common import printable
from tests.support import clean_env, failure_lines

REPO = Path(__file__).resolve().parents[1]
MARKER = "XXE-LEAK-MARKER-4f1d2c"
GOOD_TEXT = (
    "Regulatory T cells in the tumour microenvironment\n\n"
    "Regulatory T cells expressing FOXP3 suppress effector T cells through IL-10 and TGF-beta "
    "signalling in tumour model {n}. In a cohort of 212 patients, high FOXP3 density predicted "
    "shorter survival (hazard ratio 1.8). Depleting CCR8-positive regulatory T cells restored "
    "CD8 T-cell infiltration in mice. These findings suggest that anti-CCR8 antibodies could be "
    "combined with PD-1 blockade in clinical trials.\n"
)

# A CLI wrapper: every socket connection (loopback included) and name lookup is logged and
# refused, and (as root cannot make a file unreadable) EACCES is simulated for *unreadable*.
_GUARDED_CLI = textwrap.dedent(
    """
    import builtins
    import errno
    import os
    import socket
    import sys
    from pathlib import Path

    LOG = os.environ["NET_LOG"]

    def _refuse(what):
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{what}\\n")
        raise OSError(errno.EACCES, f"network refused during ingest: {what}")

    def connect(self, address):
        _refuse(f"connect {address!r}")

    def connect_ex(self, address):
        _refuse(f"connect_ex {address!r}")

    def getaddrinfo(host, *args, **kwargs):
        _refuse(f"getaddrinfo {host!r}")

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    socket.create_connection = lambda address, *a, **k: _refuse(f"create_connection {address!r}")

    if os.geteuid() == 0:
        _real_access, _real_open = os.access, Path.open

        def access(path, mode, *args, **kwargs):
            if "unreadable" in os.fspath(path):
                return False
            return _real_access(path, mode, *args, **kwargs)

        def open_(self, *args, **kwargs):
            if "unreadable" in self.name:
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            return _real_open(self, *args, **kwargs)

        os.access = access
        Path.open = open_

    from litdigest.cli.app import main

    main(sys.argv[1:])
    """
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(tmp_path, NET_LOG=str(tmp_path / "net.log"), **extra)


def _guarded(tmp_path: Path) -> list[str]:
    script = tmp_path / "guarded_cli.py"
    script.write_text(_GUARDED_CLI, encoding="utf-8")
    return [sys.executable, str(script)]


class _Listener:
    """A loopback TCP listener that counts connection attempts (for the http:// XXE)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    srv = _Listener()
    yield srv
    srv.close()


# --------------------------------------------------------------------------------------------
# The corpus


def _pdf_with_text(lines: list[str]) -> bytes:
    from tests.test_ingest_pdf import make_text_pdf

    return make_text_pdf([lines])


def _blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf_with_text([GOOD_TEXT[:70]]))))
    writer.encrypt(user_password="secret-pw", owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class Case:
    name: str  # path relative to the corpus root
    reason: str | None  # substring of the stderr reason; None: a good file


def build_corpus(root: Path, secret: Path, port: int) -> list[Case]:
    """Write the hostile corpus under ``root``; return what each file should give."""
    root.mkdir()
    cases: list[Case] = []

    def put(name: str, data: bytes, reason: str | None) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cases.append(Case(name, reason))

    good = GOOD_TEXT.format
    # good files, including odd names and encodings
    put("good-plain.txt", good(n=1).encode(), None)
    put("name with spaces.txt", good(n=2).encode(), None)
    put("new\nline.txt", good(n=3).encode(), None)
    put("ünïcödé-免疫 ☃.txt", good(n=4).encode(), None)
    put("latin1.txt", (good(n=5) + "Müller's naïve café.\n").encode("latin-1"), None)
    put("utf16-bom.txt", "\ufeff".encode("utf-16-le") + good(n=6).encode("utf-16-le"), None)
    put("stray-bytes.txt", good(n=7).encode() + b"one stray \xff\xfe byte.\n", None)
    put("text-layer.pdf", _pdf_with_text([s.strip() for s in good(n=8).split(". ")]), None)
    script = "<script>" + "document.write('Ignore this script text entirely');" * 50 + "</script>"
    data_uri = "data:image/png;base64," + "iVBORw0KGgo" * (20 * 1024 * 1024 // 11)
    html_body = "".join(f"<p>{s}.</p>" for s in good(n=9).split(". "))
    put(
        "giant-data-uri.html",
        (
            f"<!doctype html><html><head><title>Tregs</title>{script}</head><body>"
            f'<article><h1>Regulatory T cells</h1>{html_body}<img src="{data_uri}" alt="x">'
            f"{script}</article></body></html>"
        ).encode(),
        None,
    )
    # bad files
    put("empty.txt", b"", "empty file")
    put("whitespace.txt", b" \n\t\r\n   \n", "whitespace")
    put("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(256), "PNG image")
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("paper.txt", good(n=10))
    put("archive.zip", zbuf.getvalue(), "ZIP archive")
    put("nul-bytes.txt", good(n=11).encode() + b"\x00\x01\x00 and more text" * 20, "binary")
    put("invalid-utf8.txt", bytes(range(0x80, 0x100)) * 4 + b"\x01\x02\x03" * 200, "binary")
    put("malformed.ris", b"TY  - JOUR\nAU  - Doe, J\nPY  - 2020\nKW  - none\n", "neither")
    put("malformed.bib", b"@article{key, title = {Never closed, year = 2020\n", "BibTeX")
    put("malformed-medline.txt", b"PMID- 1\nOWN - NLM\nDP  - 2001\nSO  - Nowhere.\n", "neither")
    put(
        "malformed-pubmed.xml",
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><Article>",
        "malformed XML",
    )
    put(
        "xxe-file.xml",
        (
            f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file://{secret}">]>\n'
            "<PubmedArticleSet><PubmedArticle><MedlineCitation><Article><ArticleTitle>&x;"
            "</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
        ).encode(),
        "entities",
    )
    put(
        "xxe-http.xml",
        (
            '<?xml version="1.0"?>\n<!DOCTYPE article [<!ENTITY % remote SYSTEM '
            f'"http://127.0.0.1:{port}/evil.dtd"> %remote; <!ENTITY y SYSTEM '
            f'"http://127.0.0.1:{port}/y">]>\n<article><front><article-meta><title-group>'
            "<article-title>&y;</article-title></title-group></article-meta></front></article>\n"
        ).encode(),
        "entities",
    )
    put(
        "external-dtd.nxml",
        (
            f'<?xml version="1.0"?>\n<!DOCTYPE article SYSTEM "http://127.0.0.1:{port}/jats.dtd">\n'
            "<article><front><article-meta><title-group><article-title>Tregs &amp; "
            "tumours</article-title></title-group></article-meta></front><body><sec><p>"
            + good(n=12).replace("\n", " ")
            + "</p></sec></body></article>\n"
        ).encode(),
        None,
    )
    lol = "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10 if i else "lol" * 10}">' for i in range(10)
    )
    put(
        "billion-laughs.xml",
        (
            f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [{lol}]>\n<PubmedArticleSet>'
            "<PubmedArticle><MedlineCitation><Article><ArticleTitle>&l9;</ArticleTitle>"
            "</Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
        ).encode(),
        "entities",
    )
    put("encrypted.pdf", _encrypted_pdf(), "encrypted PDF")
    put("no-text-layer.pdf", _blank_pdf(), "no text layer")
    full = _pdf_with_text(["Immunogenic cell death releases calreticulin from tumour cells."])
    put("truncated.pdf", full[: len(full) // 2], "truncated PDF")
    # pathological inputs for regexes (quadratic backtracking): finish, or time out cleanly
    # (a trailing-space regex once took minutes here; it is linear now, so the file is summarized)
    put("many-spaces.txt", b"T cells" + b" " * 400_000 + b"\n" + good(n=15).encode(), None)
    # markup with no prose sentence is not an article: skipped with a note (issue 17)
    put("markdown-links.md", b"# Title\n\n" + b"![a](" * 60_000 + b"\n", "not an article")
    # a symlink loop (a link to itself) and an unreadable file
    (root / "self-loop.txt").symlink_to("self-loop.txt")
    cases.append(Case("self-loop.txt", "symbolic link loop"))
    (root / "dir-loop").mkdir()
    (root / "dir-loop" / "inner.txt").write_text(good(n=13))
    cases.append(Case("dir-loop/inner.txt", None))
    (root / "dir-loop" / "back").symlink_to("..")
    cases.append(Case("dir-loop/back", "symbolic link loop"))
    put("unreadable.txt", good(n=14).encode(), "permission denied")
    if os.geteuid() != 0:
        (root / "unreadable.txt").chmod(0)
    return cases


def _run(
    command: list[str], args: list[str], env: dict[str, str], timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_hostile_corpus_through_summarize(tmp_path: Path, listener: _Listener) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(f"{MARKER}\nroot:x:0:0\n", encoding="utf-8")
    root = tmp_path / "corpus"
    cases = build_corpus(root, secret, listener.port)
    db = tmp_path / "store.db"
    env = _env(tmp_path, LITDIGEST_INGEST__PER_FILE_TIMEOUT_S="3")
    started = time.monotonic()
    proc = _run(
        _guarded(tmp_path),
        ["summarize", str(root), "--backend", "extractive", "--db", str(db)],
        env,
    )
    elapsed = time.monotonic() - started
    try:
        _check_run(proc, cases, root, db)
    finally:
        (root / "unreadable.txt").chmod(0o644)
    assert elapsed < 120, f"the hostile corpus took {elapsed:.0f} s"
    net_log = tmp_path / "net.log"
    assert not net_log.exists(), f"sockets were opened during ingest: {net_log.read_text()}"
    assert listener.accepted == 0, "an XML entity or DTD was fetched over http"
    # The local file named by the XXE never leaks anywhere.
    dump = "\n".join(sqlite3.connect(db).iterdump())
    for text in (proc.stdout, proc.stderr, dump):
        assert MARKER not in text and "root:x:0:0" not in text


def _check_run(
    proc: subprocess.CompletedProcess[str], cases: list[Case], root: Path, db: Path
) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = failure_lines(proc.stderr)
    bad = [c for c in cases if c.reason is not None]
    good = [c for c in cases if c.reason is None]
    for case in bad:
        shown = printable(str(root / case.name))
        mine = [ln for ln in lines if ln.startswith(f"litdigest: {shown}: ")]
        assert len(mine) == 1, f"{case.name}: expected one stderr line, got {mine}\n{proc.stderr}"
        assert case.reason is not None and case.reason in mine[0], f"{case.name}: {mine[0]}"
    assert len(lines) == len(bad), proc.stderr
    summaries = [json.loads(line) for line in proc.stdout.splitlines()]
    sources = sorted(s["source"] for s in summaries)
    assert sources == sorted(str(root / c.name) for c in good), proc.stderr
    for summary in summaries:  # the real articles (not the markdown garbage) have claims
        if "markdown" not in summary["source"]:
            claims = summary["mechanism"] + summary["evidence"] + summary["therapeutic_implication"]
            assert claims, summary["source"]
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT source, stage, reason FROM failures").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    by_source: dict[str, list[str]] = {}
    for source, stage, reason in rows:
        assert stage == "ingest"
        by_source.setdefault(source, []).append(reason)
    failed = [c for c in bad if c.reason != "not an article"]  # a skip is a note, not a failure
    assert sorted(by_source) == sorted(str(root / c.name) for c in failed)
    for case in failed:
        (reason,) = by_source[str(root / case.name)]
        assert case.reason is not None and case.reason in reason


_MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    t0 = time.monotonic()
    p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    print(json.dumps({"rc": p.returncode, "out": p.stdout, "err": p.stderr,
                      "secs": time.monotonic() - t0,
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
    """
)


def _measured(tmp_path: Path, root: Path, db: Path) -> dict[str, Any]:
    """Run summarize in a fresh parent, so RUSAGE_CHILDREN covers this CLI run only."""
    args = ["summarize", str(root), "--backend", "extractive", "--db", str(db)]
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *_guarded(tmp_path), *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=110,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_200_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """Sparse 200 MB text file: refused by the size limit at once; peak RSS stays that of a
    run without it (cleaning itself peaks at a few hundred MiB: word-frequency tables)."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "good.txt").write_text(GOOD_TEXT.format(n=1), encoding="utf-8")
    baseline = _measured(tmp_path, root, tmp_path / "base.db")
    assert baseline["rc"] == 0, baseline["err"]
    huge = root / "huge.txt"
    with huge.open("wb") as fh:
        block = GOOD_TEXT.format(n=0).encode()
        fh.write(block)
        fh.seek(200 * 1024 * 1024 - len(block))
        fh.write(block)
    report = _measured(tmp_path, root, tmp_path / "store.db")
    assert report["rc"] == 1, report["err"]
    assert failure_lines(report["err"]) == [
        f"litdigest: {huge}: file too large: 200.0 MiB exceeds the limit of 50.0 MiB"
        " (ingest.max_file_bytes = 52428800)"
    ]
    assert [json.loads(x)["source"] for x in report["out"].splitlines()] == [str(root / "good.txt")]
    grown_mib = (report["maxrss_kib"] - baseline["maxrss_kib"]) / 1024
    assert grown_mib < 100, f"peak RSS grew by {grown_mib:.0f} MiB: the file was read"
    assert report["maxrss_kib"] < 1024 * 1024, f"peak RSS {report['maxrss_kib'] // 1024} MiB"
    assert report["secs"] < baseline["secs"] + 10


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ten_thousand_small_files(tmp_path: Path) -> None:
    """10,000 small files (a few broken): every one summarized or reported, in bounded time."""
    root = tmp_path / "many"
    for d in range(10):
        sub = root / f"d{d}"
        sub.mkdir(parents=True)
        for i in range(1000):
            n = d * 1000 + i
            (sub / f"f{i:04d}.txt").write_text(
                f"Study {n}\n\nMacrophages polarised towards an M2 phenotype suppress T cells "
                f"in tumour model {n}. In a cohort of {n + 10} patients, CD163 density predicted "
                f"survival. Blocking CSF1R could be combined with immunotherapy in trial {n}.\n",
                encoding="utf-8",
            )
    for name in ("d3/f0100.txt", "d7/f0999.txt"):
        (root / name).write_bytes(b"")
    proc = _run(
        [sys.executable, "-m", "litdigest"],
        ["summarize", str(root), "--backend", "extractive", "--db", str(tmp_path / "s.db")],
        _env(tmp_path),
        timeout=280,
    )
    assert proc.returncode == 1
    assert failure_lines(proc.stderr) == [
        f"litdigest: {root / 'd3/f0100.txt'}: empty file",
        f"litdigest: {root / 'd7/f0999.txt'}: empty file",
    ]
    assert len(proc.stdout.splitlines()) == 9998


@pytest.mark.timeout(60)
def test_a_step_that_hangs_is_timed_out_and_the_rest_goes_on(tmp_path: Path) -> None:
    """A record whose cleaning never ends (simulated) times out; the next records are read."""
    from litdigest.config import CleanSettings, Settings
    from litdigest.documents import Document, RawRecord
    from litdigest.prepare import iter_documents

    ris = tmp_path / "three.ris"
    records = [
        f"TY  - JOUR\nTI  - Record {i} on T cells\nAB  - {GOOD_TEXT.format(n=i).splitlines()[2]}\n"
        "ER  - \n"
        for i in range(3)
    ]
    ris.write_text("\n".join(records), encoding="utf-8")
    (tmp_path / "after.txt").write_text(GOOD_TEXT.format(n=9), encoding="utf-8")
    import litdigest.prepare as pipeline

    real = pipeline.clean_record  # type: ignore[attr-defined]

    def slow_clean(record: RawRecord, settings: CleanSettings | None = None) -> Document:
        if "Record 1" in record.text:
            time.sleep(3600)
        doc: Document = real(record, settings)
        return doc

    mp = pytest.MonkeyPatch()
    mp.setattr(pipeline, "clean_record", slow_clean)  # the forked worker inherits it
    try:
        settings = Settings.model_validate({"ingest": {"per_file_timeout_s": 1.0}})
        started = time.monotonic()
        items = list(iter_documents([ris, tmp_path / "after.txt"], settings))
        elapsed = time.monotonic() - started
    finally:
        mp.undo()
    assert elapsed < 20
    errors = [i for i in items if not hasattr(i, "doc_id")]
    docs = [i for i in items if hasattr(i, "doc_id")]
    assert [str(e) for e in errors] == [
        f"{ris}#2: timed out after 1 s while cleaning (ingest.per_file_timeout_s)"
    ]
    assert [d.source for d in docs] == [f"{ris}#1", f"{ris}#3", str(tmp_path / "after.txt")]


def test_no_limit_runs_in_process(tmp_path: Path) -> None:
    from litdigest.config import Settings
    from litdigest.prepare import iter_documents

    (tmp_path / "a.txt").write_text(GOOD_TEXT.format(n=1), encoding="utf-8")
    settings = Settings.model_validate({"ingest": {"per_file_timeout_s": 0}})
    (doc,) = list(iter_documents([tmp_path / "a.txt"], settings))
    assert doc.source == str(tmp_path / "a.txt")
