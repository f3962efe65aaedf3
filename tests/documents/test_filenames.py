"""Display names keep what a person recognises and drop what misleads; downloads use RFC 6266."""

import pytest

from app.documents.filenames import clean_display_name, content_disposition, display_name_for


class TestCleanDisplayName:
    @pytest.mark.parametrize(
        ("sent", "shown"),
        [
            ("offer.pdf", "offer.pdf"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\ana\\Job offer.PDF", "Job offer.PDF"),
            ("a.pdf\x00.exe", "a.pdf.exe"),
            ("\u202egpj.exe", "gpj.exe"),
            ("report\u2066\u2069\u200e\u200f\u061c\ufeff\u200b.pdf", "report.pdf"),
            ("line\r\nbreak.pdf", "linebreak.pdf"),
            ("  .hidden.pdf. ", "hidden.pdf"),
            ("Re\u0301sume\u0301.pdf", "R\u00e9sum\u00e9.pdf"),
            ("CON.pdf", "_CON.pdf"),
            ("lpt9", "_lpt9"),
            ("com\u00b9.txt", "_com\u00b9.txt"),
            ("CONSENT.pdf", "CONSENT.pdf"),
            (None, "document"),
            ("", "document"),
            ("...", "document"),
            ("folder/", "document"),
            ("\u202e\u202d", "document"),
        ],
    )
    def test_name_is_cleaned(self, sent: str | None, shown: str) -> None:
        assert clean_display_name(sent) == shown

    def test_long_name_keeps_its_extension_within_255_bytes(self) -> None:
        shown = clean_display_name("x" * 4996 + ".pdf")

        assert len(shown.encode("utf-8")) == 255
        assert shown.endswith("x.pdf")

    def test_long_name_is_not_cut_inside_a_character(self) -> None:
        shown = clean_display_name("\u00e9" * 300 + ".jpeg")  # 2 bytes each

        assert len(shown.encode("utf-8")) <= 255
        assert shown == "\u00e9" * 125 + ".jpeg"

    def test_long_dotted_tail_is_not_taken_for_an_extension(self) -> None:
        shown = clean_display_name("a." + "b" * 400)

        assert shown == ("a." + "b" * 400)[:255]

    def test_cleaning_twice_changes_nothing(self) -> None:
        once = clean_display_name("../\u202eCON.pdf\x00 " + "y" * 300)

        assert clean_display_name(once) == once


class TestContentDisposition:
    def test_ascii_name(self) -> None:
        assert content_disposition("offer.pdf") == (
            "attachment; filename=\"offer.pdf\"; filename*=UTF-8''offer.pdf"
        )

    def test_accented_name_falls_back_to_plain_letters(self) -> None:
        assert content_disposition("R\u00e9sum\u00e9 final.pdf") == (
            'attachment; filename="Resume final.pdf"; '
            "filename*=UTF-8''R%C3%A9sum%C3%A9%20final.pdf"
        )

    def test_name_without_ascii_falls_back_to_document(self) -> None:
        assert content_disposition("\u5c65\u6b74\u66f8.pdf") == (
            'attachment; filename="document.pdf"; '
            "filename*=UTF-8''%E5%B1%A5%E6%AD%B4%E6%9B%B8.pdf"
        )

    def test_quotes_backslashes_and_percent_cannot_escape_the_fallback(self) -> None:
        header = content_disposition('say "hi" 100%25.pdf')

        assert header == (
            'attachment; filename="say _hi_ 100_25.pdf"; '
            "filename*=UTF-8''say%20%22hi%22%20100%2525.pdf"
        )

    def test_line_breaks_cannot_split_the_header(self) -> None:
        header = content_disposition("a.pdf\r\nSet-Cookie: x=1")

        assert "\r" not in header
        assert "\n" not in header


class TestDisplayNameForType:
    @pytest.mark.parametrize(
        ("name", "media_type", "expected"),
        [
            ("offer.pdf", "application/pdf", "offer.pdf"),
            ("photo.JPEG", "image/jpeg", "photo.JPEG"),
            ("offer.pdf\x00.exe", "application/pdf", "offer.pdf.exe.pdf"),
            ("cv\u202efdp.exe", "application/pdf", "cvfdp.exe.pdf"),
            ("scan", "image/png", "scan.png"),
            (None, "image/jpeg", "document.jpg"),
        ],
    )
    def test_ends_in_the_detected_types_extension(
        self, name: str | None, media_type: str, expected: str
    ) -> None:
        assert display_name_for(name, media_type) == expected

    def test_stays_within_255_bytes(self) -> None:
        assert len(display_name_for("é" * 300 + ".exe", "application/pdf").encode()) <= 255
