"""A small, valid one-page PDF (for demo data and tests): text lines in Helvetica, ASCII only."""

from __future__ import annotations


def one_page_pdf(lines: list[str], *, padding: int = 0) -> bytes:
    """`padding`: bytes of a comment added before the trailer, to make a PDF of a given size."""

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 14 Tf 72 770 Td 18 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body.encode("ascii")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    if padding:
        out += b"%" + b"0" * max(0, padding - 2) + b"\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (the padding settles after a step or two: the
    startxref offset it moves has a few digits)."""
    padding = size - len(one_page_pdf(["sized"]))
    for _ in range(5):
        content = one_page_pdf(["sized"], padding=padding)
        if len(content) == size:
            return content
        padding += size - len(content)
    raise ValueError(f"cannot make a PDF of {size} bytes")
