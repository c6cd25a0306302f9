"""The time-lapse page as its users meet it: headless Chromium plays the MP4s and shows the WebPs.

A local HTTP server on 127.0.0.1 serves the bucket and one more page, a harness that opens the
time-lapse folder's ``index.html`` in an iframe (same origin), starts every ``<video>`` (muted,
as the page has them), watches it for up to 20 s and POSTs what it saw back to the server:
each video's ``readyState``, ``currentTime``, size and errors, each WebP's natural size.
Skipped with the reason where Chromium is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading

import pytest

from landsat_ops.storage import open_store
from landsat_ops.timelapse import make_timelapse, parse_period_spec
from tests.support.browser import AUTOPLAY, chromium_command, needs_chromium, serving
from tests.support.timelapse import publish_scene

OUT = "published/timelapse/226/010"
HARNESS = """<!DOCTYPE html><html><body>
<iframe id="page" src="/%s/index.html" width="1280" height="2400"></iframe>
<script>
const frame = document.getElementById("page");
function watch(video) {
  return new Promise((resolve) => {
    const seen = {variant: video.dataset.variant, errors: []};
    const source = video.querySelector("source");
    video.addEventListener("error",
      () => seen.errors.push("video " + (video.error && video.error.code)));
    if (source) source.addEventListener("error", () => seen.errors.push("source"));
    video.muted = true;
    video.play().catch((e) => seen.errors.push("play: " + e.name));
    const started = performance.now();
    const poll = setInterval(() => {
      seen.readyState = video.readyState;
      seen.currentTime = video.currentTime;
      seen.duration = video.duration;
      seen.width = video.videoWidth;
      seen.height = video.videoHeight;
      const played = video.currentTime > 1.5 && video.readyState >= 2;
      if (played || performance.now() - started > 20000) {
        clearInterval(poll);
        resolve(seen);
      }
    }, 100);
  });
}
frame.addEventListener("load", async () => {
  const doc = frame.contentDocument;
  const videos = await Promise.all([...doc.querySelectorAll("video")].map(watch));
  const images = [];
  for (const img of doc.querySelectorAll("img.anim")) {
    try { await img.decode(); } catch (e) { }
    images.push({src: img.getAttribute("src"), width: img.naturalWidth, height: img.naturalHeight});
  }
  await fetch("/__result", {method: "POST", body: JSON.stringify({videos, images})});
});
</script></body></html>"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    results: list
    done: threading.Event

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/__harness.html":
            body = (HARNESS % OUT).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.results.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()
        self.done.set()


@pytest.mark.browser
@pytest.mark.timeout(180)
@needs_chromium
def test_the_timelapse_page_plays_in_a_browser(tmp_path):
    root = tmp_path / "bucket"
    for day in ("2014-07-10", "2016-07-15", "2017-08-01"):
        publish_scene(root, day, clear_fraction=0.8)
    result = make_timelapse(
        open_store(root),
        name="p226r010_summer",
        spec=parse_period_spec("summer=06-01..09-30"),
        out_prefix=OUT,
        scene_prefixes=["published/226/010"],
        size=320,
    )
    assert result.frames == 4  # 2014..2017, 2015 a gap
    results: list = []
    done = threading.Event()
    handler = type("Handler", (_Handler,), {"results": results, "done": done})
    with serving(root, handler) as base:
        browser = subprocess.Popen(
            chromium_command(tmp_path / "profile", AUTOPLAY, base + "__harness.html"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            finished = done.wait(90)
        finally:
            browser.terminate()
            try:
                _, stderr = browser.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                browser.kill()
                _, stderr = browser.communicate()
    assert finished, f"the harness reported nothing; chromium said: {stderr[-2000:]}"
    (seen,) = results
    assert [v["variant"] for v in seen["videos"]] == ["truecolor", "falsecolor"]
    for video in seen["videos"]:
        assert video["errors"] == [], video
        assert video["readyState"] >= 2, video  # HAVE_CURRENT_DATA: a frame is decoded
        assert video["currentTime"] > 1.5, video  # it plays: time advanced past frame 2
        assert video["duration"] == pytest.approx(4.0, abs=0.1)
        assert (video["width"], video["height"]) == (result.grid.width, result.grid.height)
    assert len(seen["images"]) == 2
    for image in seen["images"]:
        assert (image["width"], image["height"]) == (result.grid.width, result.grid.height)
