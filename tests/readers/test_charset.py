"""Charsets per the WHATWG Encoding Standard: labels, BOM first, detection of undeclared pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpusclean.readers import ReadOptions, read_chunks
from corpusclean.readers.charset import codec_for_label, decode_html
from corpusclean.testing import synth


def html_of(tmp_path: Path, bodies: list[tuple[bytes, str]]) -> list[str]:
    recs = [synth.response_record(f"http://a/{i}", b, str(i), ct) for i, (b, ct) in enumerate(bodies)]
    p = tmp_path / "c.warc.gz"
    synth.write_warc(str(p), recs)
    (chunk,) = list(read_chunks(str(p), "warc", ReadOptions(), 1000, False))
    assert chunk.rejected.num_rows == 0
    return chunk.docs.column("html").to_pylist()


def test_case_read_charset_labels_iso_8859_1_is_windows_1252(tmp_path: Path) -> None:
    cp = "The chair said: “We don’t have the budget this year” – and nobody disagreed… Tickets cost €12 — ok."
    latin = "The majestic mööse: Größe, café."
    got = html_of(tmp_path, [
        (f'<html><head><meta charset="iso-8859-1"></head><body><p>{latin}</p></body></html>'.encode("latin-1"),
         "text/html"),
        (f"<html><body><p>{cp}</p></body></html>".encode("cp1252"), "text/html; charset=ISO-8859-1"),
    ])
    assert latin in got[0]
    assert cp in got[1]
    assert not any("\x80" <= ch <= "\x9f" for ch in got[0] + got[1])


@pytest.mark.parametrize(("label", "codec"), [("iso-8859-1", "cp1252"), ("latin1", "cp1252"), ("us-ascii", "cp1252"),
                                              ("ascii", "cp1252"), ("gb2312", "gb18030"), ("GBK", "gb18030"),
                                              ("shift_jis", "cp932"), ("x-sjis", "cp932"), ("euc-kr", "cp949"),
                                              ("big5", "big5hkscs"), (" UTF8 ", "utf-8"), ("iso-2022-kr", None),
                                              ("no-such-charset", None)])
def test_labels_follow_the_standard(label: str, codec: str | None) -> None:
    assert codec_for_label(label) == codec


def test_larger_encodings_behind_legacy_labels(tmp_path: Path) -> None:
    chinese = "中文测试：镕基与喆的名字"  # 镕/喆 are outside GB2312, inside GBK/gb18030
    japanese = "丸数字①②と髙橋さん"  # NEC/IBM extensions of Windows-31J
    got = html_of(tmp_path, [
        (f"<html><body>{chinese}</body></html>".encode("gb18030"), "text/html; charset=gb2312"),
        (f"<html><body>{japanese}</body></html>".encode("cp932"), "text/html; charset=shift_jis"),
    ])
    assert chinese in got[0] and "\ufffd" not in got[0]
    assert japanese in got[1] and "\ufffd" not in got[1]


def test_bom_first(tmp_path: Path) -> None:
    text = "Grüße aus Köln — “quoted”"
    got = html_of(tmp_path, [
        (b"\xff\xfe" + f"<html><body>{text}</body></html>".encode("utf-16-le"), "text/html"),
        (b"\xfe\xff" + f"<html><body>{text}</body></html>".encode("utf-16-be"), "text/html; charset=utf-16"),
        (b"\xef\xbb\xbf" + f"<html><body>{text}</body></html>".encode(), "text/html; charset=iso-8859-1"),
    ])
    assert all(text in h for h in got) and not any(h.startswith("\ufeff") for h in got)


def test_undeclared_pages_are_detected() -> None:
    czech = ("Příliš žluťoučký kůň úpěl ďábelské ódy. Vláda schválila novelu zákona o státním rozpočtu, "
             "která počítá s vyššími výdaji na školství a zdravotnictví. ") * 4
    russian = "Привет, как дела? Это проверка кодировки страницы без объявления. " * 5
    for text, enc in ((czech, "cp1250"), (russian, "cp1251"), (czech, "utf-8")):
        html, _ = decode_html(f"<html><body><p>{text}</p></body></html>".encode(enc))
        assert text in html, enc


def test_meta_utf16_means_utf8_and_invalid_bytes_are_replaced() -> None:
    html, codec = decode_html('<meta charset="utf-16"><p>café</p>'.encode())
    assert codec == "utf-8" and "café" in html
    html, _ = decode_html(b"<html><body>ok \xff\xfe broken</body></html>", "text/html; charset=utf-8")
    assert "\ufffd" in html and "broken" in html
