"""Technical metadata of a file, extracted as plain data (a JSON-serialisable dict).

Works on any seekable binary file, including :meth:`BlobStore.open`'s decrypting reader, so
extraction needs no plaintext on disk. A malformed file never raises: what could not be read is
listed under ``"errors"``. The result looks like::

    {
      "media_type": "image/jpeg",          # from the content
      "extension_matches": true,           # does the file name's extension agree? (null: no name)
      "image": {"format": "JPEG", "width": 4032, "height": 3024, "mode": "RGB", "frames": 1},
      "exif": {"Make": "Canon", "Model": "...", "DateTimeOriginal": "2024:07:29 21:15:03", ...},
      "gps": {"latitude": 10.5034, "longitude": -66.9167, "altitude_m": 900.0, ...},
      "captured_at": "2024-07-29T21:15:03-04:00",   # ISO 8601; no offset if the camera gave none
      "captured_at_source": "exif:DateTimeOriginal",
      "pdf": {...}, "av": {...},           # for PDFs and audio/video containers
      "extractor": {"name": "testigo.blobstore.metadata", "version": 1, "libraries": {...}},
      "errors": []
    }
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import warnings
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, BinaryIO

from testigo.blobstore.sniff import SNIFF_BYTES, extension_matches, sniff_media_type

EXTRACTOR_VERSION = 1
_MAX_TEXT = 4096
_MAX_XMP = 64 * 1024
_SKIPPED_EXIF = {0x927C: "MakerNote", 0x02BC: "XMLPacket", 0x8773: "InterColorProfile"}


def library_versions() -> dict[str, str]:
    """Versions of the libraries that read and rewrite media, for provenance records."""
    found = {}
    for name in ("Pillow", "pypdf", "mutagen"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def extract_metadata(
    fp: BinaryIO, *, filename: str | None = None, media_type: str | None = None
) -> dict[str, Any]:
    """Return the technical metadata of the file ``fp`` (read from its start).

    Args:
        fp: a seekable binary file.
        filename: the original file name, to compare its extension with the content.
        media_type: the sniffed type, if already known; sniffed from ``fp`` otherwise.
    """
    fp.seek(0)
    if media_type is None:
        media_type = sniff_media_type(fp.read(SNIFF_BYTES))
    result: dict[str, Any] = {
        "media_type": media_type,
        "extension_matches": extension_matches(media_type, filename),
        "extractor": {
            "name": __name__,
            "version": EXTRACTOR_VERSION,
            "libraries": library_versions(),
        },
        "errors": [],
    }
    family = media_type.split("/", 1)[0]
    if family == "image" and media_type != "image/svg+xml":
        _run(result, "image", _image, fp)
    elif media_type == "application/pdf":
        _run(result, "pdf", _pdf, fp)
    if family in {"audio", "video"} or media_type in {"image/heic", "image/heif"}:
        _run(result, "av", _audio_video, fp)
    return result


def _run(result: dict[str, Any], part: str, extractor: Any, fp: BinaryIO) -> None:
    fp.seek(0)
    try:
        with warnings.catch_warnings(), _quiet("pypdf"):
            warnings.simplefilter("ignore")
            result.update(extractor(fp))
    except Exception as exc:  # parsers of hostile files raise anything; record, don't crash
        result["errors"].append(f"{part}: {type(exc).__name__}: {str(exc)[:200]}")


@contextlib.contextmanager
def _quiet(logger_name: str) -> Any:
    logger = logging.getLogger(logger_name)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def jsonable(value: Any, *, depth: int = 0) -> Any:
    """Turn a value from a media library into JSON-safe data (bytes become short hex)."""
    if depth > 6:
        return None
    if value is None or isinstance(value, bool | int | str):
        return value[:_MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes | bytearray):
        text = bytes(value).rstrip(b"\x00")
        if text.isascii() and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
            return text.decode("ascii")[:_MAX_TEXT]
        return {"hex": bytes(value[:64]).hex(), "length": len(value)}
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth=depth + 1) for k, v in list(value.items())[:500]}
    if isinstance(value, list | tuple):
        return [jsonable(v, depth=depth + 1) for v in value[:500]]
    try:
        number = float(value)  # IFDRational and other numeric wrappers
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)[:_MAX_TEXT]
    return number if math.isfinite(number) else None


# -- images ---------------------------------------------------------------------------------


def _image(fp: BinaryIO) -> dict[str, Any]:
    from PIL import ExifTags, Image

    out: dict[str, Any] = {}
    with Image.open(fp) as im:
        out["image"] = {
            "format": im.format,
            "width": im.width,
            "height": im.height,
            "mode": im.mode,
            "frames": getattr(im, "n_frames", 1),
            "icc_profile": bool(im.info.get("icc_profile")),
        }
        text = {
            k: jsonable(v)
            for k, v in im.info.items()
            if isinstance(v, str) and k not in {"exif", "icc_profile"}
        }
        if text:
            out["image"]["text"] = text  # PNG tEXt/iTXt chunks, GIF comments, ...
        xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
        if xmp:
            raw = xmp if isinstance(xmp, bytes) else str(xmp).encode("utf-8", "replace")
            out["xmp"] = raw[:_MAX_XMP].decode("utf-8", "replace")
        exif = im.getexif()
        if not exif:
            return out
        tags: dict[str, Any] = {}
        for tag, value in exif.items():
            if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop):
                continue
            tags[_tag_name(tag, ExifTags.TAGS)] = _exif_value(tag, value)
        for tag, value in exif.get_ifd(ExifTags.IFD.Exif).items():
            tags[_tag_name(tag, ExifTags.TAGS)] = _exif_value(tag, value)
        out["exif"] = tags
        gps_raw = exif.get_ifd(ExifTags.IFD.GPSInfo)
        if gps_raw:
            out["gps"] = _gps(gps_raw, ExifTags.GPSTAGS)
        captured = _captured_at(tags)
        if captured:
            out["captured_at"], out["captured_at_source"] = captured
    return out


def _tag_name(tag: int, names: Mapping[int, str]) -> str:
    return names.get(tag, f"0x{tag:04x}")


def _exif_value(tag: int, value: Any) -> Any:
    if tag in _SKIPPED_EXIF:
        length = len(value) if isinstance(value, bytes | bytearray | str) else None
        return {"omitted": _SKIPPED_EXIF[tag], "length": length}
    if tag == 0x9286 and isinstance(value, bytes) and len(value) >= 8:  # UserComment
        encoding, body = value[:8], value[8:]
        codec = "utf-16" if encoding.startswith(b"UNICODE") else "latin-1"
        return body.decode(codec, "replace").rstrip("\x00 ")[:_MAX_TEXT]
    return jsonable(value)


def _dms(value: Any) -> float | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    return result if math.isfinite(result) else None


def _gps(raw: Mapping[int, Any], names: Mapping[int, str]) -> dict[str, Any]:
    gps: dict[str, Any] = {"tags": {_tag_name(k, names): jsonable(v) for k, v in raw.items()}}
    lat, lon = _dms(raw.get(2)), _dms(raw.get(4))
    if lat is not None and lon is not None:
        gps["latitude"] = round(-lat if str(raw.get(1, "N")).upper().startswith("S") else lat, 7)
        gps["longitude"] = round(-lon if str(raw.get(3, "E")).upper().startswith("W") else lon, 7)
    with contextlib.suppress(TypeError, ValueError, ZeroDivisionError, KeyError):
        altitude = float(raw[6])
        below = raw.get(5) in (1, b"\x01")
        gps["altitude_m"] = -altitude if below else altitude
    with contextlib.suppress(TypeError, ValueError, ZeroDivisionError, KeyError):
        hours, minutes, seconds = (float(part) for part in raw[7])
        day = str(raw[29]).replace(":", "-")
        stamp = dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC) + dt.timedelta(
            hours=hours, minutes=minutes, seconds=seconds
        )
        gps["timestamp_utc"] = stamp.isoformat()
    return gps


def _captured_at(tags: Mapping[str, Any]) -> tuple[str, str] | None:
    for field, offset_field in (
        ("DateTimeOriginal", "OffsetTimeOriginal"),
        ("DateTimeDigitized", "OffsetTimeDigitized"),
        ("DateTime", "OffsetTime"),
    ):
        value = tags.get(field)
        if not isinstance(value, str):
            continue
        try:
            stamp = dt.datetime.strptime(value.strip()[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
        except ValueError:
            continue
        text = stamp.isoformat()
        offset = tags.get(offset_field)
        if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
            text += offset
        return text, f"exif:{field}"
    return None


# -- PDF ------------------------------------------------------------------------------------


def _pdf(fp: BinaryIO) -> dict[str, Any]:
    from pypdf import PdfReader

    reader = PdfReader(fp, strict=False)
    pdf: dict[str, Any] = {"version": reader.pdf_header.removeprefix("%PDF-")}
    pdf["encrypted"] = reader.is_encrypted
    if reader.is_encrypted:
        with contextlib.suppress(Exception):
            reader.decrypt("")  # many "encrypted" PDFs only restrict printing or copying
    with contextlib.suppress(Exception):
        pdf["pages"] = len(reader.pages)
    info: dict[str, Any] = {}
    raw_info = reader.metadata or {}
    for key, value in raw_info.items():
        name = str(key).lstrip("/")
        if name in {"CreationDate", "ModDate"}:
            info[name] = _pdf_date(str(value)) or jsonable(str(value))
        else:
            info[name] = jsonable(str(value))
    pdf["info"] = info
    trailer_id = reader.trailer.get("/ID")
    if trailer_id:
        pdf["document_id"] = [_pdf_bytes(part).hex() for part in trailer_id]
    with contextlib.suppress(Exception):
        root_metadata = reader.trailer["/Root"].get("/Metadata")
        if root_metadata is not None:
            data = root_metadata.get_object().get_data()
            pdf["xmp"] = data[:_MAX_XMP].decode("utf-8", "replace")
    return {"pdf": pdf}


def _pdf_bytes(value: Any) -> bytes:
    raw = getattr(value, "original_bytes", None)
    if isinstance(raw, bytes):
        return raw
    if isinstance(value, bytes):
        return bytes(value)
    return str(value).encode("latin-1", "replace")


def _pdf_date(text: str) -> str | None:
    """``D:20240729211503-04'00'`` → ``2024-07-29T21:15:03-04:00`` (partial dates kept)."""
    value = text.strip().removeprefix("D:")
    digits = "".join(c for c in value[:14] if c.isdigit())
    if len(digits) < 4 or not value[: len(digits)].isdigit():
        return None
    parts = [digits[0:4], digits[4:6], digits[6:8]]
    date = "-".join(p for p in parts if p)
    if len(digits) <= 8:
        return date
    time = ":".join(p for p in (digits[8:10], digits[10:12], digits[12:14]) if p)
    rest = value[len(digits) :].replace("'", "")
    if rest.startswith("Z"):
        zone = "Z"
    elif rest[:1] in {"+", "-"} and rest[1:5].isdigit():
        zone = f"{rest[0]}{rest[1:3]}:{rest[3:5]}"
    else:
        zone = ""
    return f"{date}T{time}{zone}"


# -- audio and video containers -------------------------------------------------------------


def _audio_video(fp: BinaryIO) -> dict[str, Any]:
    import mutagen

    parsed = mutagen.File(fp)
    if parsed is None:
        return {}
    av: dict[str, Any] = {"container": type(parsed).__name__}
    if parsed.mime:
        av["mime"] = parsed.mime[0]
    info = parsed.info
    for attribute, key in (
        ("length", "duration_seconds"),
        ("bitrate", "bitrate"),
        ("sample_rate", "sample_rate"),
        ("channels", "channels"),
        ("bits_per_sample", "bits_per_sample"),
        ("codec", "codec"),
        ("codec_description", "codec_description"),
    ):
        value = getattr(info, attribute, None)
        if value not in (None, ""):
            av[key] = jsonable(value)
    tags: dict[str, Any] = {}
    for key, value in (parsed.tags or {}).items():
        tags[str(key)] = _tag_text(value)
    if tags:
        av["tags"] = tags
    out: dict[str, Any] = {"av": av}
    for key in ("©day", "TDRC", "date", "DATE", "creation_time", "TDOR"):
        if tags.get(key):
            first = tags[key][0] if isinstance(tags[key], list) else tags[key]
            out["captured_at"], out["captured_at_source"] = str(first), f"tag:{key}"
            break
    return out


def _tag_text(value: Any) -> Any:
    if hasattr(value, "data") and isinstance(value.data, bytes):  # cover art, binary frames
        return {"binary": len(value.data)}
    if isinstance(value, list | tuple):
        return [_tag_text(v) for v in value[:50]]
    if isinstance(value, bytes):
        return {"binary": len(value)}
    text = getattr(value, "text", None)
    if isinstance(text, list):
        return [str(v)[:_MAX_TEXT] for v in text[:50]]
    return str(value)[:_MAX_TEXT]
