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
      "mp4": {"created_utc": ..., "location_iso6709": ...},  # MP4/QuickTime boxes; their GPS
                                           # position goes to "gps" like a photo's
      "extractor": {"name": "testigo.blobstore.metadata", "version": 1, "libraries": {...}},
      "errors": []
    }
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
import struct
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
    if media_type in _ISO_MEDIA:
        from_tags = {k: v for k, v in result.items() if k.startswith("captured_at")}
        _run(result, "mp4", _iso_media_boxes, fp)
        result.update(from_tags)  # a date tag, when present, wins over the mvhd time
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


# -- MP4 / QuickTime boxes: recording time and place, which mutagen's tag list leaves out ------

_ISO_MEDIA = {"video/mp4", "video/quicktime", "audio/mp4", "video/3gpp", "video/3gpp2"}
_MP4_EPOCH = dt.datetime(1904, 1, 1, tzinfo=dt.UTC)
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?")
_LOCATION_KEY = "com.apple.quicktime.location.ISO6709"
_MAX_BOX_READ = 1024 * 1024


def _boxes(fp: BinaryIO, start: int, end: int) -> Any:
    """``(type, payload start, payload end)`` of each box between ``start`` and ``end``."""
    offset = start
    while offset + 8 <= end:
        fp.seek(offset)
        head = fp.read(16)
        if len(head) < 8:
            return
        size, kind = struct.unpack(">I4s", head[:8])
        header = 8
        if size == 1 and len(head) == 16:
            size, header = struct.unpack(">Q", head[8:16])[0], 16
        elif size == 0:
            size = end - offset
        if size < header:
            return
        yield kind, offset + header, min(offset + size, end)
        offset += size


def _child(fp: BinaryIO, start: int, end: int, path: list[bytes]) -> tuple[int, int] | None:
    for kind, body, stop in _boxes(fp, start, end):
        if kind == path[0]:
            return (body, stop) if len(path) == 1 else _child(fp, body, stop, path[1:])
    return None


def _read(fp: BinaryIO, start: int, end: int) -> bytes:
    fp.seek(start)
    return fp.read(min(end - start, _MAX_BOX_READ))


def _iso6709(text: str) -> dict[str, Any] | None:
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    lat, lon, alt = match.groups()
    gps: dict[str, Any] = {"latitude": round(float(lat), 7), "longitude": round(float(lon), 7)}
    if not (-90 <= gps["latitude"] <= 90 and -180 <= gps["longitude"] <= 180):
        return None
    if alt is not None:
        gps["altitude_m"] = float(alt)
    return gps


def _iso_media_boxes(fp: BinaryIO) -> dict[str, Any]:
    """Creation time (``mvhd``) and recorded location (``udta/©xyz``, QuickTime ``mdta`` keys)."""
    end = fp.seek(0, 2)
    moov = _child(fp, 0, end, [b"moov"])
    if moov is None:
        return {}
    box: dict[str, Any] = {}
    mvhd = _child(fp, *moov, [b"mvhd"])
    if mvhd is not None:
        data = _read(fp, *mvhd)
        version = data[0] if data else 0
        fields = ">QQIQ" if version == 1 else ">IIII"
        width = struct.calcsize(fields)
        if len(data) >= 4 + width:
            created, modified, scale, duration = struct.unpack(fields, data[4 : 4 + width])
            for key, seconds in (("created_utc", created), ("modified_utc", modified)):
                if seconds:  # 0 means "not set", as most encoders leave it
                    stamp = _MP4_EPOCH + dt.timedelta(seconds=seconds)
                    box[key] = stamp.isoformat().replace("+00:00", "Z")
            if scale:
                box["duration_seconds"] = round(duration / scale, 3)
    location = None
    xyz = _child(fp, *moov, [b"udta", b"\xa9xyz"])
    if xyz is not None:
        data = _read(fp, *xyz)
        length = struct.unpack(">H", data[:2])[0] if len(data) >= 4 else 0
        location = data[4 : 4 + length].decode("utf-8", "replace")
        box["location_source"] = "udta/\u00a9xyz"
    meta = _child(fp, *moov, [b"meta"])
    if meta is not None:
        found = _mdta_items(fp, *meta)
        if found:
            box["quicktime_keys"] = found
        if found.get(_LOCATION_KEY) and location is None:
            location = str(found[_LOCATION_KEY])
            box["location_source"] = f"meta/keys/{_LOCATION_KEY}"
    out: dict[str, Any] = {"mp4": box}
    if location:
        box["location_iso6709"] = location
        gps = _iso6709(location)
        if gps is not None:
            out["gps"] = gps
    if box.get("created_utc"):
        out["captured_at"], out["captured_at_source"] = box["created_utc"], "mp4:mvhd"
    return out


def _mdta_items(fp: BinaryIO, start: int, end: int) -> dict[str, Any]:
    """The QuickTime metadata (``keys`` + ``ilst`` in an ``mdta`` meta box) as name → value."""
    keys_box = _child(fp, start, end, [b"keys"])
    ilst = _child(fp, start, end, [b"ilst"])
    if keys_box is None or ilst is None:
        return {}
    data = _read(fp, *keys_box)
    names, offset = [], 8
    while offset + 8 <= len(data) and len(names) < 200:
        size = struct.unpack(">I", data[offset : offset + 4])[0]
        if size < 8:
            break
        names.append(data[offset + 8 : offset + size].decode("utf-8", "replace"))
        offset += size
    found: dict[str, Any] = {}
    for kind, body, stop in _boxes(fp, *ilst):
        index = struct.unpack(">I", kind)[0]
        value_box = _child(fp, body, stop, [b"data"])
        if not 1 <= index <= len(names) or value_box is None:
            continue
        raw = _read(fp, *value_box)
        value = raw[8:]
        text = value.decode("utf-8", "replace") if raw[:4] == b"\0\0\0\x01" else None
        found[names[index - 1]] = text if text is not None else {"binary": len(value)}
    return found
