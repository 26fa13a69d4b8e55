"""The HTML report: self-contained, escaped, renders in headless Chromium with its figures
(the browser driver: ``tests/browser.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from browser import needs_chromium, render
from gatecast.cli.main import main
from gatecast.errors import ConfigError
from gatecast.evaluation.compare import with_baselines
from gatecast.models.baselines import Naive, SeasonalNaive
from gatecast.report import DiagnosticItem, build_report, one_step_fitted
from gatecast.report import hook as report_hook
from helpers import seasonal_frame


# -- the browser tests ------------------------------------------------------------------
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
