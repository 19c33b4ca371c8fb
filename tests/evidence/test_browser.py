"""The evidence pages in a real browser (Debian's Chromium through Playwright): an upload of a few
megabytes with its progress bar, then audio and video played from decrypted streams, seeking by
byte ranges, and every view in the custody timeline.

The 2 GB upload is a bench run: ``bench/evidence/bench_web_upload.py``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import wave

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from testigo.audit.context import acting_as
from testigo.evidence import services
from testigo.evidence.models import CustodyEvent, EvidenceItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "a long demo passphrase 42"
SECONDS = 30


@pytest.fixture
def page(browser, live_server, log_in):
    context = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    with acting_as("test"):
        user = get_user_model().objects.create_user("dora", password=PASSWORD)
        user.groups.add(Group.objects.get_or_create(name="documenter")[0])
        user.user_permissions.add(Permission.objects.get(codename="reveal_identity"))
    log_in(page, "dora", PASSWORD)
    yield page
    context.close()


def noisy_wav(seconds: int = SECONDS, rate: int = 44100) -> bytes:
    """Stereo 16-bit noise: about 5 MB that does not compress."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(2)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(os.urandom(seconds * rate * 4))
    return out.getvalue()


def _watch_progress(page) -> None:
    page.evaluate(
        """() => { window.__bars = 0; window.__values = new Set();
          const list = document.getElementById('upload-progress');
          new MutationObserver(() => {
            const bar = list.querySelector('progress');
            if (bar) { window.__bars = 1; window.__values.add(bar.value); }
          }).observe(list, {subtree: true, childList: true, attributes: true}); }"""
    )


def _upload(page, base: str, files: list[dict]) -> None:
    page.goto(f"{base}/evidence/upload/")
    page.set_input_files("input[type=file]", files=files)
    _watch_progress(page)
    page.get_by_role("button", name=re.compile("^(Upload|Subir)$")).click()
    page.locator("#upload-progress a").first.wait_for(timeout=120_000)


def test_a_recording_uploaded_through_the_page_verifies_and_plays_with_seeking(page, live_server):
    recording = noisy_wav()
    assert len(recording) > 5_000_000
    _upload(
        page,
        live_server.url,
        [{"name": "grabación.wav", "mimeType": "audio/wav", "buffer": recording}],
    )

    assert page.evaluate("window.__bars") == 1  # a progress bar was shown for the file
    link = page.locator("#upload-progress a").first
    assert re.fullmatch(r"EV-\d{6}", link.inner_text())
    item = EvidenceItem.objects.get(code=link.inner_text())
    assert item.sha256 == hashlib.sha256(recording).hexdigest() and item.size == len(recording)
    assert item.original_name == "grabación.wav" and item.media_type == "audio/wav"
    report = services.evidence_verify()
    assert report.ok and report.checked == 1 and report.bytes_checked == len(recording)

    # Played from the decrypted stream: the browser reads the header, then seeks by range.
    ranges: list[str] = []
    page.on(
        "request",
        lambda r: ranges.append(r.headers.get("range", "")) if "/content/" in r.url else None,
    )
    link.click()
    page.get_by_role("link", name=re.compile("Show preview|Mostrar vista previa")).click()
    audio = page.locator("audio.preview")
    audio.wait_for()
    page.wait_for_function("document.querySelector('audio.preview').readyState >= 1")
    duration = audio.evaluate("a => a.duration")
    assert duration == pytest.approx(SECONDS, abs=0.05)
    audio.evaluate(
        """a => new Promise(done => { a.addEventListener('seeked', done, {once: true});
                                      a.currentTime = a.duration - 1; })"""
    )
    assert audio.evaluate("a => a.currentTime") == pytest.approx(SECONDS - 1, abs=0.1)
    assert any(r.startswith("bytes=") and not r.startswith("bytes=0-") for r in ranges), ranges

    page.goto(page.url.split("?")[0])  # without the preview: no further view
    timeline = page.locator("ol.custody").inner_text()
    assert re.search("viewed|visto", timeline, re.I) and re.search("acquired|adquirido", timeline)
    assert CustodyEvent.objects.filter(item=item, action="viewed").count() == 1


RECORD_VIDEO = """async (seconds) => {
  const canvas = document.createElement('canvas');
  canvas.width = 160; canvas.height = 120;
  const paint = canvas.getContext('2d');
  const recorder = new MediaRecorder(canvas.captureStream(25), {mimeType: 'video/webm'});
  const parts = [];
  recorder.ondataavailable = (e) => parts.push(e.data);
  const stopped = new Promise((done) => { recorder.onstop = done; });
  recorder.start(250);
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    paint.fillStyle = `hsl(${(performance.now() / 10) % 360}, 80%, 50%)`;
    paint.fillRect(0, 0, 160, 120);
    await new Promise((r) => setTimeout(r, 40));
  }
  recorder.stop();
  await stopped;
  const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}"""


def test_a_video_plays_in_the_page_from_the_decrypted_stream(page, live_server):
    import base64

    page.goto(f"{live_server.url}/evidence/upload/")
    if not page.evaluate("() => typeof MediaRecorder !== 'undefined'"):
        pytest.skip("this Chromium cannot record video")
    video = base64.b64decode(page.evaluate(RECORD_VIDEO, 2))
    assert video.startswith(b"\x1aE\xdf\xa3")
    _upload(
        page,
        live_server.url,
        [{"name": "video-marcha.webm", "mimeType": "video/webm", "buffer": video}],
    )
    item = EvidenceItem.objects.get()
    assert item.media_type == "video/webm" and item.sha256 == hashlib.sha256(video).hexdigest()

    page.goto(f"{live_server.url}/evidence/{item.pk}/?preview=1")
    player = page.locator("video.preview")
    player.wait_for()
    page.wait_for_function("document.querySelector('video.preview').readyState >= 2")
    assert player.evaluate("v => v.videoWidth") == 160
    assert page.locator(".strip-refused").count() == 1  # no stripped copy of a video, and why
    page.goto(f"{live_server.url}/evidence/{item.pk}/")
    assert re.search("viewed|visto", page.locator("ol.custody").inner_text(), re.I)
    assert CustodyEvent.objects.filter(item=item, action="viewed").count() == 1
