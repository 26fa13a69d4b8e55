"""The HTML report: self-contained, escaped, renders in headless Chromium with its figures.

The browser check drives Debian's ``chromium`` over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: fd 3 in, fd 4 out, NUL-separated JSON), so it needs no Python
package: it records every network request, console message and exception, asks the page
for each image's ``naturalWidth`` and saves a full-page screenshot under
``test-artifacts/``. ``make test`` installs chromium when it is missing and we are root;
without it the browser tests skip with the reason.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gatecast.cli.main import main
from gatecast.errors import ConfigError
from gatecast.evaluation.compare import with_baselines
from gatecast.models.baselines import Naive, SeasonalNaive
from gatecast.report import DiagnosticItem, build_report, one_step_fitted
from gatecast.report import hook as report_hook
from helpers import seasonal_frame

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser"))
                 if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not found: install Debian's chromium package"
    " (make test does it when run as root)")


class Chromium:
    """Headless Chromium driven over ``--remote-debugging-pipe``."""

    def __init__(self, width: int = 1280, height: int = 900, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._id = 0
        self._buf = b""
        self._profile = tempfile.mkdtemp(prefix="gatecast-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire_fds() -> None:  # the child reads commands on fd 3, answers on fd 4
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             f"--user-data-dir={self._profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire_fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    def _recv(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._from_chrome], [], [],
                                        max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: bool = False) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, url: str) -> None:
        self.call("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._recv(deadline))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True}, session=True)
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        shot = self.call("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True}, session=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def problems(self) -> list[str]:
        """Console errors/warnings, uncaught exceptions, failed loads, error log entries."""
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning",
                                                                      "assert"):
                out.append(f"console.{p['type']}: {[a.get('value') for a in p['args']]}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log {p['entry']['level']}: {p['entry']['text']}")
            elif method == "Network.loadingFailed":
                out.append(f"failed load: {p.get('errorText')}")
        return out

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            os.close(self._to_chrome)
            os.close(self._from_chrome)
            shutil.rmtree(self._profile, ignore_errors=True)


IMAGES_JS = ("JSON.stringify([...document.images].map(i => ({src: i.src.slice(0, 21),"
             " complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})))")


def render(path: Path, screenshot: Path | None = None) -> dict[str, Any]:
    browser = Chromium()
    try:
        browser.open(path.resolve().as_uri())
        images = json.loads(browser.evaluate(IMAGES_JS))
        headings = browser.evaluate("[...document.querySelectorAll('h2')].map(h => h.textContent)")
        if screenshot is not None:
            browser.screenshot(screenshot)
        return {"images": images, "headings": headings, "problems": browser.problems(),
                "urls": browser.requested_urls()}
    finally:
        browser.close()


# -- the browser tests ------------------------------------------------------------------
@needs_chromium
@pytest.mark.xdist_group("demo")
def test_demo_report_renders_in_headless_chromium(demo_run) -> None:
    """The README's demo writes report.html, which renders with every figure, offline."""
    out = demo_run.output
    assert demo_run.returncode == 0, demo_run.stderr
    for name in ("leaderboard.csv", "leaderboard.png", "forecasts.csv", "forecast.png"):
        assert (out / name).stat().st_size > 500, name
    shot = ARTIFACTS / "demo-report.png"
    shot.unlink(missing_ok=True)
    page = render(out / "report.html", screenshot=shot)
    assert page["problems"] == []
    # Nothing but the file itself and its embedded data: URIs was requested.
    assert all(u.startswith(("file:", "data:")) for u in page["urls"]), page["urls"]
    # the demo's LSTM adds the training section
    assert page["headings"] == ["Data", "Leaderboard", "Diagnostics", "Forecasts", "Training"]
    # data overview, leaderboard bars, errors by step, skill vs naive, one forecast per
    # model, the LSTM's loss curves
    board = pd.read_csv(out / "leaderboard.csv")
    assert len(board) >= 9 and "lstm" in set(board["model"])
    assert len(page["images"]) == 4 + len(board) + 1
    for img in page["images"]:
        assert img["src"] == "data:image/png;base64", img
        assert img["complete"] and img["width"] > 300 and img["height"] > 150, img
    assert shot.stat().st_size > 50_000


@needs_chromium
def test_browser_check_catches_broken_pages(tmp_path: Path) -> None:
    """The checker itself: a broken image, an error and an external fetch are all caught."""
    page = tmp_path / "broken.html"
    page.write_text('<html><body><img src="data:image/png;base64,AAAA">'
                    '<img src="https://example.invalid/x.png">'
                    '<script>console.error("boom")</script></body></html>')
    result = render(page)
    assert [i["width"] for i in result["images"]] == [0, 0]
    assert any("boom" in p for p in result["problems"])
    assert any(u.startswith("https://example.invalid") for u in result["urls"])


# -- the report without a browser -------------------------------------------------------
def _frame_with_odd_names() -> pd.DataFrame:
    df = seasonal_frame(n_series=2, length=48)
    return df.replace({"unique_id": {"s0": "<script>alert(1)</script>", "s1": "销售 & co"}})


@pytest.mark.filterwarnings("ignore:.*character.*no installed font:UserWarning")
def test_report_escapes_text_and_embeds_everything(tmp_path: Path) -> None:
    item = DiagnosticItem(
        title="check <b>bold</b>", verdict="a & b < c", severity="warning",
        table=pd.DataFrame({"lag <1>": [1.0]}, index=pd.Index(["m<x>"], name="model")))
    report = build_report([SeasonalNaive(season_length=12, alias="my<snaive>")],
                          _frame_with_odd_names(), h=6, season_length=12, n_windows=2,
                          title="T <i>", diagnostics=[item])
    html = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<b>bold" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "check &lt;b&gt;bold&lt;/b&gt;" in html and "a &amp; b &lt; c" in html
    assert "lag &lt;1&gt;" in html and "my&lt;snaive&gt;" in html and "销售 &amp; co" in html
    assert 'class="item warning"' in html
    # no external resource: no http(s) URL, no <link>, every image a data: URI
    assert "http://" not in html and "https://" not in html and "<link" not in html
    assert html.count("<img ") == html.count('<img src="data:image/png;base64,')
    assert html.count("<img ") >= 5


def test_diagnostics_hook_items_are_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake(ctx: Any) -> list[DiagnosticItem]:
        seen["models"] = sorted(ctx.models)
        seen["test_rows"] = len(ctx.test)
        return [DiagnosticItem("shift check", "copies the last value", "error")]

    monkeypatch.setattr(report_hook, "diagnostic_items", fake)
    report = build_report([], seasonal_frame(n_series=1), h=4, season_length=12)
    html = report.to_html()
    expected = sorted(m.name for m in with_baselines([], 12))
    assert seen == {"models": expected, "test_rows": 4}
    assert 'class="item error"' in html and "copies the last value" in html
    assert "No diagnostics were run" not in html


def test_report_carries_the_diagnostics() -> None:
    html = build_report([], seasonal_frame(n_series=1), h=4, season_length=12).to_html()
    assert "No diagnostics were run for this report." not in html
    assert "skill against the naive forecasts" in html
    assert "stationarity and differencing advice" in html
    # Seasonal data: the advice names a seasonal difference.
    assert "diff:12" in html


def test_diagnostic_item_rejects_unknown_severity() -> None:
    with pytest.raises(ConfigError, match="severity"):
        DiagnosticItem("t", "v", severity="fatal")


def test_in_sample_fit_of_naive_is_the_previous_value() -> None:
    from gatecast.data.validate import validate

    sf = validate(seasonal_frame(n_series=2, length=30))
    model = Naive(alias="naive").fit(sf)
    fitted = one_step_fitted(model, sf, n_last=5)
    assert len(fitted) == 2 * 5
    frame = sf.frame
    for uid, part in fitted.groupby("unique_id"):
        y = frame.loc[frame["unique_id"] == uid, "y"].to_numpy()
        np.testing.assert_allclose(part["naive"].to_numpy(), y[-6:-1])


# -- the CLI ---------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_writes_report_and_plot(capsys, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    seasonal_frame(n_series=1).to_csv(data, index=False)
    report, plot = tmp_path / "out" / "report.html", tmp_path / "bars.svg"
    code, _, err = run(capsys, "--quiet", "compare", str(data), "--models", "drift",
                       "--h", "6", "--windows", "2", "--season-length", "12",
                       "--report", str(report), "--plot", str(plot))
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    assert "Leaderboard" in html and ">drift<" in html and "2 backtest fold(s)" in html
    assert plot.read_text().lstrip().startswith("<?xml") and "<svg" in plot.read_text()


def test_report_command_json(capsys, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, stdout, err = run(capsys, "--json", "report", "--dataset", "sales", "--models",
                            "drift", "--h", "6", "--output", str(out))
    assert code == 0, err
    assert json.loads(stdout.strip().splitlines()[-1])["output"] == str(out)
    assert "45 monthly sales values" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("mutate", "args", "message"),
    [
        (None, ["report", "missing.csv", "--h", "3"], "file not found"),
        (lambda d: d.rename(columns={"y": "value"}), ["report", "{csv}", "--h", "3"],
         "missing column"),
        (lambda d: d.assign(y=d.y.where(d.index != 4)), ["report", "{csv}", "--h", "3"],
         "missing value"),
        (lambda d: d.iloc[:5], ["report", "{csv}", "--h", "3", "--models", "drift",
                                "--season-length", "12"], "too short"),
        (None, ["report", "{csv}", "--h", "3", "--output", "report.pdf"], ".html"),
        (None, ["compare", "{csv}", "--h", "3", "--report", "r.txt"], ".html"),
        (None, ["compare", "{csv}", "--h", "3", "--plot", "bars.jpg"], ".png or .svg"),
        (None, ["forecast", "{csv}", "--h", "3", "--plot", "fc.pdf"], ".png or .svg"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, monkeypatch, tmp_path, monthly, mutate, args,
                                     message):
    monkeypatch.chdir(tmp_path)  # a default output file must never land in the repository
    path = tmp_path / "bad.csv"
    (mutate(monthly) if mutate else monthly).to_csv(path, index=False)
    code, _, err = run(capsys, *[a.replace("{csv}", str(path)) for a in args])
    assert code == 2, err
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
