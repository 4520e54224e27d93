#!/usr/bin/env python3
"""Generates the scanned-document test data for the OCR tests: letters with Dutch BSNs, IBANs and a Swedish
personnummer, rendered at 300 dpi and degraded like a scanner or a phone photo, plus hard negatives and
hostile files. `expected.json` lists what a correct OCR + content filter must find in each file.

The outputs are committed next to this script, so the tests need no Python. To regenerate them:

    python3 -m venv /tmp/scanvenv
    /tmp/scanvenv/bin/pip install pillow
    /tmp/scanvenv/bin/python generate.py            # rewrites the files next to this script
    /tmp/scanvenv/bin/python generate.py --verify   # also OCRs them with Tesseract (nld+swe+eng) and
                                                    # checks every expected value is read, and no other

Only Pillow and the standard library; fonts are DejaVu from /usr/share/fonts/truetype/dejavu/ (Debian
`fonts-dejavu-core`). Deterministic: every random choice comes from a seeded `random.Random`, the PDFs are
written by hand without dates, so a re-run gives the same bytes as far as the Pillow/libjpeg/zlib versions
allow. `--verify` needs `tesseract` (with the nld, swe and eng data) and poppler's `pdftoppm`/`pdftotext`.

All values are test values that pass their checksums (asserted below): BSN 11-proef, IBAN mod 97,
personnummer Luhn. Pages are A5 portrait (1748x2480) or half A5 (1748x1240) at 300 dpi; body text is
10.5 pt (44 px em, 56 px line height).
"""
import io
import json
import math
import os
import random
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
FONTS = "/usr/share/fonts/truetype/dejavu/"
SEED = 20240318
DPI = 300
A5 = (1748, 2480)  # 148 x 210 mm at 300 dpi
HALF = (1748, 1240)  # 148 x 105 mm: the top half of an A5 page
BODY_PX = 44  # 10.5 pt at 300 dpi
LINE_PX = 56
PAPER = 243  # off-white
INK = 28


# ----------------------------------------------------------------------------------------------------
# Checksums: every value in the letters must pass, every "wrong" value in the negatives must fail.


def elfproef(bsn):
    """The BSN 11-proef: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11 (and not all zeros)."""
    d = [int(c) for c in bsn]
    return len(d) == 9 and any(d) and sum(w * x for w, x in zip([9, 8, 7, 6, 5, 4, 3, 2, -1], d)) % 11 == 0


def iban_ok(iban):
    """ISO 7064 mod 97 = 1 over the IBAN with its first four chars moved to the end."""
    s = iban.replace(" ", "")
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def luhn(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        x = int(c)
        if i % 2:
            x = x * 2 - 9 if x * 2 > 9 else x * 2
        total += x
    return total % 10 == 0


def personnummer_ok(pnr):
    """Luhn over YYMMDDNNNC of a YYYYMMDD-NNNC number, a real date and a serial other than 000."""
    m = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(\d{2})-(\d{3})(\d)", pnr)
    if not m:
        return False
    import datetime

    datetime.date(int(m[1] + m[2]), int(m[3]), int(m[4]))  # raises for an impossible date
    return m[5] != "000" and luhn("".join(m.groups()[1:]))


BSN_VERWIJS = "111222333"
BSN_INKOMEN = "123456782"
BSN_LAB = "314159265"
BSN_SCAN = "271828183"
BSN_MIXED = "161803398"
IBAN_INKOMEN = "NL91 ABNA 0417 1643 00"
IBAN_SCAN = "NL39 RABO 0300 0652 64"
PNR_REMISS = "19760412-2387"
# Hard negatives: shaped like the real thing, but failing the check.
BAD_BSNS = ["111222334", "123456789", "987654321"]
BAD_IBAN = "NL92 ABNA 0417 1643 00"

for v in [BSN_VERWIJS, BSN_INKOMEN, BSN_LAB, BSN_SCAN, BSN_MIXED]:
    assert elfproef(v), v
for v in [IBAN_INKOMEN, IBAN_SCAN]:
    assert iban_ok(v), v
assert personnummer_ok(PNR_REMISS)
for v in BAD_BSNS:
    assert not elfproef(v), v
assert not iban_ok(BAD_IBAN)


def compact(value):
    return value.replace(" ", "")


# ----------------------------------------------------------------------------------------------------
# Layout: a letter is a list of blocks rendered top to bottom on a paper-coloured grayscale canvas.


def font(name, px):
    return ImageFont.truetype(os.path.join(FONTS, name), px)


class Style:
    def __init__(self, regular, bold):
        self.regular = regular
        self.bold = bold


SERIF = Style("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")
SANS = Style("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def wrap(text, f, width):
    lines, line = [], ""
    for word in text.split(" "):
        trial = word if not line else line + " " + word
        if f.getlength(trial) <= width:
            line = trial
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def render(size, style, blocks, margin=(130, 120)):
    """Draws the blocks; raises if they do not fit. Blocks:
    ("title", text) big bold line; ("bold", text); ("p", text) a wrapped paragraph; ("line", text) one
    unwrapped line; ("right", text) right-aligned line; ("gap", lines); ("rule",) a horizontal rule;
    ("cols", [(x, text), ...], bold) one row of a table, x in px from the left margin;
    ("logo", kind) a simple letterhead mark at the top right; ("sign",) a scribbled signature."""
    w, h = size
    mx, my = margin
    img = Image.new("L", size, PAPER)
    d = ImageDraw.Draw(img)
    body = font(style.regular, BODY_PX)
    bold = font(style.bold, BODY_PX)
    title = font(style.bold, 64)
    y = my
    rng = random.Random(f"{SEED}-render-{blocks[0][1] if len(blocks[0]) > 1 else ''}")
    for block in blocks:
        kind = block[0]
        if kind == "title":
            d.text((mx, y), block[1], font=title, fill=INK)
            y += 92
        elif kind == "bold":
            d.text((mx, y), block[1], font=bold, fill=INK)
            y += LINE_PX
        elif kind == "line":
            d.text((mx, y), block[1], font=body, fill=INK)
            y += LINE_PX
        elif kind == "right":
            d.text((w - mx - body.getlength(block[1]), y), block[1], font=body, fill=INK)
            y += LINE_PX
        elif kind == "p":
            for line in wrap(block[1], body, w - 2 * mx):
                d.text((mx, y), line, font=body, fill=INK)
                y += LINE_PX
        elif kind == "gap":
            y += int(block[1] * LINE_PX)
        elif kind == "rule":
            d.line([(mx, y + 12), (w - mx, y + 12)], fill=INK + 60, width=3)
            y += 30
        elif kind == "cols":
            f = bold if len(block) > 2 and block[2] else body
            for x, text in block[1]:
                d.text((mx + x, y), text, font=f, fill=INK)
            y += LINE_PX
        elif kind == "logo":
            # A mark in the top right corner that is not text: rings or a shield of bars.
            cx, cy = w - mx - 90, my + 80
            if block[1] == "rings":
                for r in (80, 60, 40):
                    d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=INK + 40, width=9)
            else:
                d.polygon([(cx - 75, cy - 80), (cx + 75, cy - 80), (cx + 75, cy + 10), (cx, cy + 85),
                           (cx - 75, cy + 10)], outline=INK + 20, width=8)
                for i in range(3):
                    d.rectangle([cx - 45 + 32 * i, cy - 50, cx - 30 + 32 * i, cy + 20], fill=INK + 40)
        elif kind == "sign":
            # Cursive-like loops: a slow drift to the right plus a circle traced several times.
            x0, y0 = mx + 40, y + 45
            loops, phase = rng.randint(4, 6), rng.uniform(0, math.pi)
            pts = []
            for i in range(400):
                t = i / 399
                a = 2 * math.pi * loops * t + phase
                r = 30 * (0.6 + 0.4 * math.sin(3 * math.pi * t))
                pts.append((x0 + 360 * t - 22 * math.cos(a), y0 - r * math.sin(a) + 14 * math.sin(math.pi * t)))
            d.line(pts, fill=INK + 25, width=5, joint="curve")
            y += 110
        else:
            raise ValueError(kind)
    if y > h - my + 40:
        raise ValueError(f"text does not fit: {y} > {h - my}")
    return img


# ----------------------------------------------------------------------------------------------------
# Degradation: a flatbed scanner (small skew, slight blur, a little noise) and a phone photo (keystone,
# uneven light, stronger blur and noise, JPEG).


def gaussian_noise(size, sigma, rng):
    """Deterministic Gaussian noise centred on 128: uniform bytes from the seeded RNG mapped through the
    inverse normal CDF (Pillow's own effect_noise uses the C library's rand(), which is not seeded)."""
    nd = statistics.NormalDist(0, sigma)
    lut = [max(0, min(255, round(128 + nd.inv_cdf((u + 0.5) / 256)))) for u in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(lut)


def add_noise(img, sigma, rng):
    return ImageChops.add(img, gaussian_noise(img.size, sigma, rng), 1.0, -128)


def solve(a, b):
    """Gaussian elimination for the 8x8 perspective system."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def perspective_coeffs(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE): maps output points dst to input points src."""
    a, b = [], []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        b.append(u)
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        b.append(v)
    return solve(a, b)


def skew(img, angle_deg, jitter, rng, fill):
    """Rotates about the centre by angle_deg and moves each corner by up to jitter px (keystone)."""
    w, h = img.size
    cx, cy = w / 2, h / 2
    t = math.radians(angle_deg)
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    dst = []
    for x, y in src:
        rx = cx + (x - cx) * math.cos(t) - (y - cy) * math.sin(t)
        ry = cy + (x - cx) * math.sin(t) + (y - cy) * math.cos(t)
        dst.append((rx + rng.uniform(-jitter, jitter), ry + rng.uniform(-jitter, jitter)))
    return img.transform(img.size, Image.Transform.PERSPECTIVE, perspective_coeffs(dst, src),
                         Image.Resampling.BICUBIC, fillcolor=fill)


def shading(size, rng, strength):
    """Uneven light: a smooth low-resolution map (a lamp off-centre, darker corners) scaled up."""
    gw, gh = 32, 45
    lx, ly = rng.uniform(0.3, 0.7), rng.uniform(0.2, 0.5)
    side = rng.uniform(-0.5, 0.5)
    data = []
    for j in range(gh):
        for i in range(gw):
            x, y = i / (gw - 1), j / (gh - 1)
            v = 1 - strength * ((x - lx) ** 2 + (y - ly) ** 2) - strength * 0.3 * side * (x - 0.5)
            data.append(max(0, min(255, round(255 * v))))
    small = Image.new("L", (gw, gh))
    small.putdata(data)
    return small.resize(size, Image.Resampling.BICUBIC)


def scanner(img, rng, noise=0.0):
    """A flatbed scan: skew under a degree, sensor noise softened by the optics' blur."""
    img = img.rotate(rng.uniform(-0.8, 0.8), Image.Resampling.BICUBIC, fillcolor=PAPER)
    if noise:
        img = add_noise(img, noise, rng)
    return img.filter(ImageFilter.GaussianBlur(0.6))


def photo(img, rng, colour=False):
    angle = rng.choice([-1, 1]) * rng.uniform(0.8, 1.5)
    img = ImageChops.multiply(img, shading(img.size, rng, 0.35))
    img = skew(img, angle, 18, rng, fill=95)
    img = img.filter(ImageFilter.GaussianBlur(0.75))
    img = add_noise(img, 3.0, rng)
    if colour:
        img = ImageOps.colorize(img, black=(12, 10, 14), white=(255, 246, 228))
    return img


def jpeg(img, quality):
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def png(img, levels=16):
    """A grayscale PNG posterised to `levels` gray levels (a scanner's document mode): a third of the
    size of the full 8-bit scan, and invisible to OCR."""
    step = 256 // levels
    img = img.point([min(255, v // step * step + step // 2) for v in range(256)])
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------------
# PDFs written by hand: no dates, no producer, so the bytes only depend on the content.


def pdf_string(text):
    assert all(32 <= ord(c) < 127 for c in text), text
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pt(px):
    return round(px * 72 / DPI, 2)


def write_pdf(pages):
    """pages: ("image", jpeg_bytes, (w_px, h_px)) drawn over the whole page at 300 dpi, or
    ("text", [lines], (w_pt, h_pt)) set in 11 pt Helvetica. Returns the PDF bytes."""
    objs = {}
    n_pages = len(pages)
    # 1 catalog, 2 page tree, 3 font, then per page: page, contents, image.
    page_ids = [4 + 3 * i for i in range(n_pages)]
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = ("<< /Type /Pages /Kids [%s] /Count %d >>" % (" ".join(f"{p} 0 R" for p in page_ids),
                                                             n_pages)).encode()
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    for i, page in enumerate(pages):
        pid, cid, iid = page_ids[i], page_ids[i] + 1, page_ids[i] + 2
        if page[0] == "image":
            data, (wpx, hpx) = page[1], page[2]
            w, h = pt(wpx), pt(hpx)
            objs[iid] = (f"<< /Type /XObject /Subtype /Image /Width {wpx} /Height {hpx} /ColorSpace /DeviceGray "
                         f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(data)} >>\nstream\n").encode() \
                + data + b"\nendstream"
            content = f"q {w} 0 0 {h} 0 0 cm /Im1 Do Q\n".encode()
            resources = f"<< /XObject << /Im1 {iid} 0 R >> >>"
        else:
            lines, (w, h) = page[1], page[2]
            ops = ["BT", "/F1 11 Tf", "14 TL", f"1 0 0 1 56 {h - 70} Tm"]
            for line in lines:
                ops.append(f"{pdf_string(line)} Tj T*")
            ops.append("ET")
            content = ("\n".join(ops) + "\n").encode()
            resources = "<< /Font << /F1 3 0 R >> >>"
            objs[iid] = b"null"  # keeps the numbering regular; unreferenced
        objs[cid] = f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"endstream"
        objs[pid] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Resources {resources} "
                     f"/Contents {cid} 0 R >>").encode()
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objs[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objs) + 1
    out += f"xref\n0 {size}\n".encode() + b"0000000000 65535 f \n"
    for num in range(1, size):
        out += f"{offsets[num]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ----------------------------------------------------------------------------------------------------
# The hostile files.


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side=50000):
    """A valid, complete white PNG of side x side pixels, 1-bit palette with one entry (white): 2.5 Gpixels
    that decompress to side * (side / 8 + 1) = 312 MB of scanlines (10 GB as RGBA). Every scanline is
    filter byte 0 and palette index 0, so the whole stream is zero bytes and deflates at its best ratio,
    about 1:1030, to some 300 KB: a complete valid PNG of this size cannot be much smaller. Streamed row
    by row; the image never exists in memory."""
    row = bytes(1 + (side + 7) // 8)  # filter type None, every pixel palette index 0
    out = bytearray(b"\x89PNG\r\n\x1a\n")
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 3, 0, 0, 0))
    out += png_chunk(b"PLTE", b"\xff\xff\xff")
    z = zlib.compressobj(9)
    pending = bytearray()
    for _ in range(side):
        pending += z.compress(row)
        if len(pending) >= 1 << 16:
            out += png_chunk(b"IDAT", bytes(pending))
            pending.clear()
    pending += z.flush()
    out += png_chunk(b"IDAT", bytes(pending))
    out += png_chunk(b"IEND", b"")
    return bytes(out)


# ----------------------------------------------------------------------------------------------------
# The documents.


def verwijsbrief():
    return render(A5, SERIF, [
        ("bold", "Huisartsenpraktijk De Linde"),
        ("line", "Lindelaan 12, 3521 AB Utrecht"),
        ("logo", "rings"),
        ("gap", 1.2),
        ("title", "Verwijsbrief"),
        ("rule",),
        ("gap", 0.3),
        ("line", "Aan: Polikliniek Cardiologie, Diakonessenhuis Utrecht"),
        ("line", "Datum: 14 maart 2024"),
        ("gap", 0.6),
        ("line", "Betreft: mevrouw A.M. de Vries, geboren 03-06-1958"),
        ("line", "Adres: Kromme Nieuwegracht 40, 3512 HK Utrecht"),
        ("line", f"BSN: {BSN_VERWIJS}"),
        ("gap", 0.6),
        ("line", "Geachte collega,"),
        ("gap", 0.4),
        ("p", "Graag verwijs ik bovengenoemde patiënte naar uw polikliniek in verband met "
              "hartkloppingen en kortademigheid bij inspanning sinds ongeveer zes weken. "
              "Het ECG op de praktijk toont een sinusritme met enkele ventriculaire extrasystolen; "
              "het laboratoriumonderzoek (Hb, TSH, elektrolyten) is niet afwijkend."),
        ("gap", 0.4),
        ("p", "Voorgeschiedenis: hypertensie, appendectomie. Medicatie: metoprolol 50 mg eenmaal "
              "daags, hydrochloorthiazide 12,5 mg eenmaal daags. Geen bekende allergieën."),
        ("gap", 0.4),
        ("p", "Vraagstelling: is er sprake van een ritmestoornis die behandeling behoeft? "
              "Graag uw beoordeling en advies over het verdere beleid."),
        ("gap", 0.6),
        ("line", "Met collegiale groet,"),
        ("sign",),
        ("line", "J.P. Bakker, huisarts"),
    ])


def inkomen():
    return render(A5, SERIF, [
        ("bold", "Gemeente Zaanstad"),
        ("line", "Afdeling Werk en Inkomen"),
        ("line", "Postbus 2000, 1500 GA Zaandam"),
        ("logo", "shield"),
        ("gap", 1.0),
        ("line", "De heer P. Jansen"),
        ("line", "Westzijde 118"),
        ("line", "1506 EH Zaandam"),
        ("gap", 1.0),
        ("line", "Datum: 2 april 2024"),
        ("line", "Ons kenmerk: WI/2024/04817"),
        ("line", "Onderwerp: inkomensverklaring"),
        ("gap", 0.8),
        ("line", "Geachte heer Jansen,"),
        ("gap", 0.4),
        ("p", "U heeft ons gevraagd om een inkomensverklaring over het jaar 2023. Met deze brief "
              "verklaren wij dat u in dat jaar een uitkering op grond van de Participatiewet van "
              "onze gemeente heeft ontvangen."),
        ("gap", 0.4),
        ("line", "Naam: Pieter Jansen"),
        ("line", f"BSN: {BSN_INKOMEN}"),
        ("line", "Bruto uitkering 2023: € 14.947,20"),
        ("line", "Ingehouden loonheffing: € 1.310,64"),
        ("gap", 0.4),
        ("p", "De uitkering is maandelijks overgemaakt op uw rekening met"),
        ("line", f"IBAN: {IBAN_INKOMEN}"),
        ("gap", 0.4),
        ("p", "Heeft u vragen over deze brief? Neem dan contact op met uw klantmanager."),
        ("gap", 0.6),
        ("line", "Met vriendelijke groet,"),
        ("line", "namens het college van burgemeester en wethouders,"),
        ("gap", 0.3),
        ("line", "drs. M. de Graaf, teamleider Inkomen"),
    ])


def remiss():
    return render(HALF, SANS, [
        ("bold", "Vårdcentralen Norrmalm, Stockholm"),
        ("title", "Remiss"),
        ("line", "Till: Medicinmottagningen, Södersjukhuset"),
        ("line", "Datum: 2024-03-18"),
        ("line", "Patient: Karin Lindqvist"),
        ("line", f"Personnummer: {PNR_REMISS}"),
        ("gap", 0.3),
        ("p", "Frågeställning: förhöjt blodtryck trots behandling, önskar bedömning och "
              "förslag på fortsatt utredning. Patienten är informerad om remissen."),
        ("gap", 0.3),
        ("line", "Med vänlig hälsning,"),
        ("line", "Erik Holm, specialist i allmänmedicin"),
    ], margin=(120, 90))


def lab_result():
    cols = [0, 560, 820, 1110]
    return render(A5, SANS, [
        ("bold", "St. Antonius Hospital, Clinical Chemistry Laboratory"),
        ("line", "Koekoekslaan 1, 3435 CM Nieuwegein, the Netherlands"),
        ("gap", 0.8),
        ("title", "Laboratory result"),
        ("rule",),
        ("line", "Patient: J. van Dijk (male)"),
        ("line", "Date of birth: 22-11-1969"),
        ("line", f"Citizen service number (BSN): {BSN_LAB}"),
        ("line", "Requested by: Dr. M. Visser, general practitioner"),
        ("line", "Sample collected: 12 March 2024, 08:15"),
        ("gap", 0.6),
        ("cols", list(zip(cols, ["Test", "Result", "Unit", "Reference"])), True),
        ("rule",),
        ("cols", list(zip(cols, ["Haemoglobin", "8.4", "mmol/L", "8.5 - 11.0"]))),
        ("cols", list(zip(cols, ["Leukocytes", "6.2", "10^9/L", "4.0 - 10.0"]))),
        ("cols", list(zip(cols, ["Platelets", "245", "10^9/L", "150 - 400"]))),
        ("cols", list(zip(cols, ["Creatinine", "88", "umol/L", "64 - 104"]))),
        ("cols", list(zip(cols, ["Glucose (fasting)", "6.4", "mmol/L", "4.0 - 6.1"]))),
        ("cols", list(zip(cols, ["HbA1c", "44", "mmol/mol", "20 - 42"]))),
        ("cols", list(zip(cols, ["TSH", "2.1", "mU/L", "0.4 - 4.0"]))),
        ("rule",),
        ("gap", 0.3),
        ("p", "Comment: haemoglobin slightly below the reference range; fasting glucose and HbA1c "
              "above it. Please repeat the glucose test within three months."),
        ("gap", 0.6),
        ("line", "Validated by: A. Meijer, clinical chemist"),
    ])


def scan_cover():
    # No digits at all on this page.
    return render(HALF, SERIF, [
        ("bold", "Stichting Thuiszorg Midden-Holland"),
        ("logo", "rings"),
        ("gap", 0.4),
        ("title", "Begeleidende brief"),
        ("line", "Geachte mevrouw, geachte heer,"),
        ("gap", 0.3),
        ("p", "Hierbij ontvangt u het aanvraagformulier voor bijzondere bijstand van onze cliënt, "
              "zoals besproken in het overleg van afgelopen week. Het formulier is door de cliënt "
              "zelf ingevuld en ondertekend; wij hebben het alleen ingescand."),
        ("gap", 0.3),
        ("line", "Met vriendelijke groet,"),
        ("line", "Els Verhoeven, maatschappelijk werker"),
    ], margin=(120, 90))


def scan_form():
    return render(HALF, SANS, [
        ("title", "Aanvraag bijzondere bijstand"),
        ("line", "Naam: mevrouw W. Hoekstra"),
        ("line", "Adres: Turfmarkt 27, 2801 HA Gouda"),
        ("line", "Geboortedatum: 17-08-1949"),
        ("line", f"BSN: {BSN_SCAN}"),
        ("line", f"IBAN: {IBAN_SCAN}"),
        ("gap", 0.3),
        ("p", "Waarvoor: een traplift, omdat ik sinds mijn heupoperatie niet meer zelfstandig de "
              "trap op kan. Ik verklaar dat ik dit formulier naar waarheid heb ingevuld."),
        ("line", "Plaats en datum: Gouda, 9 februari 2024"),
        ("sign",),
    ], margin=(120, 90))


MIXED_COVER = [
    "Geachte heer, mevrouw,",
    "",
    "Bijgaand sturen wij u de gevraagde stukken voor het dossier van onze",
    "client. De volgende pagina is een scan van het ondertekende",
    "machtigingsformulier; het origineel bewaren wij in ons archief.",
    "",
    "Wij vertrouwen erop u hiermee voldoende te hebben geinformeerd.",
    "",
    "Met vriendelijke groet,",
    "",
    "Administratiekantoor Van den Berg",
]


def mixed_form():
    return render(HALF, SANS, [
        ("title", "Machtiging gegevensuitwisseling"),
        ("line", "Naam: de heer R. Smit"),
        ("line", f"BSN: {BSN_MIXED}"),
        ("gap", 0.3),
        ("p", "Hierbij machtig ik Administratiekantoor Van den Berg om namens mij mijn gegevens "
              "op te vragen bij de Belastingdienst en het UWV."),
        ("gap", 0.3),
        ("line", "Plaats en datum: Amersfoort, 5 maart 2024"),
        ("sign",),
        ("line", "R. Smit"),
    ], margin=(120, 90))


def negative_numbers():
    b1, b2, b3 = BAD_BSNS
    return render(A5, SERIF, [
        ("bold", "Gemeente Zaanstad"),
        ("line", "Afdeling Belastingen"),
        ("logo", "shield"),
        ("gap", 1.0),
        ("line", "Datum: 12-03-2024"),
        ("line", "Ons kenmerk: 2024/0318/771"),
        ("line", "Onderwerp: correctie van uw gegevens"),
        ("gap", 0.8),
        ("line", "Geachte mevrouw Visser,"),
        ("gap", 0.4),
        ("p", "In uw formulier van 28 februari 2024 staan enkele nummers die niet kloppen. "
              "Wilt u deze controleren en de juiste gegevens aan ons doorgeven?"),
        ("gap", 0.4),
        ("line", f"BSN: {b1} (onjuist)"),
        ("line", f"Burgerservicenummer partner: {b2}"),
        ("line", f"Relatienummer: {b3}"),
        ("line", f"IBAN: {BAD_IBAN}"),
        ("gap", 0.4),
        ("p", "Het aanslagbiljet over 2024 volgt na ontvangst van uw reactie, uiterlijk op "
              "1 mei 2024. U kunt ons bellen op telefoonnummer 14 075, op werkdagen van "
              "9.00 tot 17.00 uur. Vanuit het buitenland belt u +32 2 123 45 67."),
        ("gap", 0.6),
        ("line", "Met vriendelijke groet,"),
        ("line", "Team Belastingen"),
    ])


def negative_photo():
    # Plain text without a single digit.
    return render(HALF, SERIF, [
        ("title", "Boodschappen en afspraken"),
        ("p", "Morgen na school de kinderen ophalen bij oma, daarna samen naar de markt voor "
              "verse groente, kaas, brood en een bos bloemen voor de buren."),
        ("gap", 0.3),
        ("p", "Niet vergeten: de fietsen naar de reparateur brengen, de kat voeren en de "
              "planten water geven. Zaterdag is het verjaardagsfeest bij Anne en Joost."),
        ("gap", 0.3),
        ("p", "Vrijdagavond eten we bij de Italiaan op de hoek; reserveren voor vier personen."),
    ], margin=(120, 90))


def generate():
    expected = []

    def put(name, data):
        with open(os.path.join(HERE, name), "wb") as fh:
            fh.write(data)

    def finding(kind, value, page=None):
        return {"kind": kind, "value": compact(value), "written": value, "page": page}

    verwijs = jpeg(photo(verwijsbrief(), random.Random(f"{SEED}-verwijsbrief"), colour=True), 72)
    put("verwijsbrief.jpg", verwijs)
    expected.append({"file": "verwijsbrief.jpg", "findings": [finding("nl_bsn", BSN_VERWIJS)],
                     "note": "Phone photo (colour JPEG, keystone, uneven light, blur, noise) of a Dutch GP "
                             "referral letter, A5 at 300 dpi."})

    put("inkomen.png", png(scanner(inkomen(), random.Random(f"{SEED}-inkomen"))))
    expected.append({"file": "inkomen.png",
                     "findings": [finding("nl_bsn", BSN_INKOMEN), finding("iban", IBAN_INKOMEN)],
                     "note": "Clean grayscale flatbed scan (PNG) of a municipality letter about an "
                             "inkomensverklaring, A5 at 300 dpi; the IBAN is written in groups of four."})

    put("remiss.jpg", jpeg(photo(remiss(), random.Random(f"{SEED}-remiss")), 75))
    expected.append({"file": "remiss.jpg", "findings": [finding("se_personnummer", PNR_REMISS)],
                     "note": "Phone photo (grayscale JPEG) of a Swedish referral (remiss), half A5 at "
                             "300 dpi; the personnummer is written YYYYMMDD-NNNC."})

    put("lab-result.png", png(scanner(lab_result(), random.Random(f"{SEED}-lab"))))
    expected.append({"file": "lab-result.png", "findings": [finding("nl_bsn", BSN_LAB)],
                     "note": "Clean grayscale scan (PNG) of an English lab result of a Dutch patient, with "
                             "a table of values and reference ranges; keyword 'Citizen service number "
                             "(BSN)'."})

    rng = random.Random(f"{SEED}-scan-only")
    p1 = jpeg(scanner(scan_cover(), rng, noise=2.0), 78)
    p2 = jpeg(scanner(scan_form(), rng, noise=2.0), 78)
    put("scan-only.pdf", write_pdf([("image", p1, HALF), ("image", p2, HALF)]))
    expected.append({"file": "scan-only.pdf",
                     "findings": [finding("nl_bsn", BSN_SCAN, 2), finding("iban", IBAN_SCAN, 2)],
                     "note": "Image-only PDF (no text layer), two half-A5 pages scanned at 300 dpi, embedded as "
                             "DCTDecode JPEG: page 1 a cover letter without any digit, page 2 a form with "
                             "a BSN and an IBAN."})

    rng = random.Random(f"{SEED}-mixed")
    form = jpeg(scanner(mixed_form(), rng, noise=2.0), 78)
    put("mixed.pdf", write_pdf([("text", MIXED_COVER, (pt(A5[0]), pt(A5[1]))), ("image", form, HALF)]))
    expected.append({"file": "mixed.pdf", "findings": [finding("nl_bsn", BSN_MIXED, 2)],
                     "note": "Page 1 has a real text layer (Helvetica, a cover letter without numbers); "
                             "page 2 is a scanned image (DCTDecode, half A5 at 300 dpi) with a BSN, so "
                             "a text-only extractor misses it."})

    put("negative-numbers.png", png(scanner(negative_numbers(), random.Random(f"{SEED}-negative"))))
    expected.append({"file": "negative-numbers.png", "findings": [],
                     "note": "Hard negative: 9-digit numbers next to BSN keywords that fail the 11-proef "
                             f"({', '.join(BAD_BSNS)}), an IBAN with a wrong check ({compact(BAD_IBAN)}), "
                             "dates, a reference number and phone numbers that are not valid Dutch "
                             "numbers (14 075, +32 2 123 45 67)."})

    put("negative-photo.jpg", jpeg(photo(negative_photo(), random.Random(f"{SEED}-negphoto")), 75))
    expected.append({"file": "negative-photo.jpg", "findings": [],
                     "note": "Hard negative: phone photo (grayscale JPEG) of a printed note without a single digit, half A5."})

    put("bomb.png", bomb_png())
    expected.append({"file": "bomb.png", "findings": [], "hostile": True,
                     "note": "Decompression bomb: a valid white 1-bit PNG declaring 50000x50000 pixels "
                             "(2.5 Gpixels, 312 MB of scanlines, 10 GB as RGBA) in about 300 KB. Must be "
                             "refused from the header, within the memory limit."})

    put("truncated.jpg", verwijs[: len(verwijs) * 4 // 10])
    expected.append({"file": "truncated.jpg", "findings": [], "hostile": True,
                     "note": "The first 40% of verwijsbrief.jpg: a JPEG cut off mid-scan (no EOI). The "
                             "BSN lies in the missing part; must not crash or hang."})

    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return expected


# ----------------------------------------------------------------------------------------------------
# Verification with Tesseract: every expected value is read, and no other checksum-valid value.


def valid_values(text):
    """Checksum-valid BSNs, IBANs (NL) and personnummers in OCR text, compact."""
    found = set()
    for m in re.finditer(r"(?<![\dA-Za-z])(\d{3}[ .]?\d{3}[ .]?\d{3}|\d{4}\.\d{2}\.\d{3})(?![\dA-Za-z])", text):
        d = re.sub(r"\D", "", m[1])
        if elfproef(d):
            found.add(("nl_bsn", d))
    for m in re.finditer(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?)", text):
        s = m[1].replace(" ", "")
        if s.startswith("NL") and len(s) == 18 and iban_ok(s):
            found.add(("iban", s))
    for m in re.finditer(r"(?<!\d)(\d{2})?(\d{6})([-+]?)(\d{4})(?!\d)", text):
        d = m[2] + m[4]
        if luhn(d) and d[6:9] != "000":
            found.add(("se_personnummer", (m[1] or "") + m[2] + "-" + m[4] if m[3] or m[1] else d))
    return found


def ocr_pages(path, tmp):
    """Yields (page, seconds, text) for an image (page None) or each page of a PDF."""
    if path.endswith(".pdf"):
        info = subprocess.run(["pdfinfo", path], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
        for n in range(1, pages + 1):
            prefix = os.path.join(tmp, f"p{n}")
            subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-f", str(n), "-l", str(n),
                            "-singlefile", path, prefix], check=True)
            t = time.monotonic()
            text = subprocess.run(["tesseract", prefix + ".png", "stdout", "-l", "nld+swe+eng", "--psm", "3"],
                                  capture_output=True, text=True, check=True).stdout
            yield n, time.monotonic() - t, text
    else:
        t = time.monotonic()
        text = subprocess.run(["tesseract", path, "stdout", "-l", "nld+swe+eng", "--psm", "3"],
                              capture_output=True, text=True, check=True).stdout
        yield None, time.monotonic() - t, text


def verify(expected):
    ok = True
    mixed = os.path.join(HERE, "mixed.pdf")
    layer = subprocess.run(["pdftotext", "-f", "1", "-l", "1", mixed, "-"], capture_output=True, text=True,
                           check=True).stdout
    if "machtigingsformulier" not in layer:
        print("mixed.pdf: page 1 has no text layer", layer)
        ok = False
    layer2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", mixed, "-"], capture_output=True, text=True,
                            check=True).stdout
    if layer2.strip():
        print("mixed.pdf: page 2 should have no text layer", layer2)
        ok = False
    print(f"{'file':22} {'size':>8}  {'page':>4}  {'s/page':>6}  values")
    total = 0
    for entry in expected:
        path = os.path.join(HERE, entry["file"])
        size = os.path.getsize(path)
        total += size
        if entry.get("hostile"):
            print(f"{entry['file']:22} {size // 1024:>5} KB  {'-':>4}  {'-':>6}  hostile, not OCRed")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for page, secs, text in ocr_pages(path, tmp):
                want = {(f["kind"], f["value"]) for f in entry["findings"] if f["page"] == page}
                flat = re.sub(r"\s", "", text)
                got = valid_values(text)
                marks = []
                for kind, value in sorted(want):
                    seen = value.replace("-", "") in flat.replace("-", "")
                    marks.append(f"{kind} {value}: {'read' if seen else 'MISSED'}")
                    ok &= seen
                extra = {v for v in got if v not in want}
                if extra:
                    marks.append(f"UNEXPECTED {sorted(extra)}")
                    ok = False
                if not want and not extra:
                    marks.append("nothing (as expected)")
                print(f"{entry['file']:22} {size // 1024:>5} KB  {page or '-':>4}  {secs:>6.1f}  "
                      + "; ".join(marks))
    folder = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE))
    print(f"files listed: {total / 1024:.0f} KB; whole folder: {folder / 1024:.0f} KB")
    return ok


if __name__ == "__main__":
    exp = generate()
    for e in exp:
        size = os.path.getsize(os.path.join(HERE, e["file"]))
        assert size < 400 * 1024, (e["file"], size)
    if "--verify" in sys.argv[1:]:
        if not shutil.which("tesseract"):
            sys.exit("tesseract not found")
        sys.exit(0 if verify(exp) else 1)
