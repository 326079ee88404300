"""`minsec tariffs show|set|unset`, run as a user would: round trip, every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minsec import config
from minsec.catalog import tariff_file
from minsec.catalog import tariffs as tf
from tests.cli_helpers import run_cli

SET = (
    "tariffs", "set", "--hs6", "250490", "--origin", "CHN", "--destination", "USA",
    "--duty", "0.935", "--from", "2026-01-01", "--source", "what if: AD rate on all graphite",
)  # fmt: skip


def _duty(capsys: pytest.CaptureFixture[str], hs6: str, origin: str, day: str) -> dict[str, object]:
    res = run_cli(
        capsys, "tariffs", "show", "--view", "duty", "--hs6", hs6, "--origin", origin,
        "--destination", "USA", "--date", day, "--format", "json",
    )  # fmt: skip
    assert res.code == 0, res.err
    rows: list[dict[str, object]] = json.loads(res.out)["data"]
    assert len(rows) == 1
    return rows[0]


def test_set_show_remove_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    before = _duty(capsys, "250490", "CHN", "2026-02-01")
    assert before["duty_pct"] == pytest.approx(35.0)  # MFN free + IEEPA 10 + Section 301 25
    res = run_cli(capsys, *SET)
    assert res.code == 0, res.err
    assert "stored user-250490-CHN-USA-2026-01-01" in res.err
    path = config.home() / "tariffs.toml"
    assert path.exists()
    after = _duty(capsys, "250490", "CHN", "2026-02-01")
    assert after["duty_pct"] == pytest.approx(93.5)
    assert after["components"] == "user 93.5 %" and after["confidence"] == "user"
    assert _duty(capsys, "250490", "CHN", "2025-12-31")["duty_pct"] == pytest.approx(10.0)
    assert _duty(capsys, "250410", "CHN", "2026-02-01")["duty_pct"] == pytest.approx(35.0)
    # the row is listed with its source, and setting it again replaces it
    listed = run_cli(capsys, "tariffs", "show", "--kind", "user", "--format", "json")
    rows = json.loads(listed.out)["data"]
    assert [(r["id"], r["source"], r["file"]) for r in rows] == [
        ("user-250490-CHN-USA-2026-01-01", "what if: AD rate on all graphite", "user")
    ]
    again = run_cli(capsys, *SET[:9], "0.5", *SET[10:])
    assert again.code == 0, again.err
    assert _duty(capsys, "250490", "CHN", "2026-02-01")["duty_pct"] == pytest.approx(50.0)
    assert path.read_text().count("[[measure]]") == 1
    gone = run_cli(capsys, "tariffs", "unset", "user-250490-CHN-USA-2026-01-01")
    assert gone.code == 0, gone.err
    assert _duty(capsys, "250490", "CHN", "2026-02-01")["duty_pct"] == pytest.approx(35.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--hs6", "999999"), "column '--hs6': hs: unknown HS code '999999'"),
        (("--duty", "-0.2"), "column '--duty': duty must be 0 or more"),
        (("--duty", "93.5"), "did you mean 0.935"),
        (("--origin", "Chna"), "column '--origin': origin: unknown origin 'Chna'"),
        (("--destination", "Neverland"), "unknown destination 'Neverland'"),
        (("--from", "soon"), "valid_from must be a date"),
        (("--to", "2025-01-01"), "valid_to 2025-01-01 is before valid_from 2026-01-01"),
        (("--kind", "embargo"), "unknown kind 'embargo'"),
        (("--source", " "), "source is required"),
        (("--kind", "deal-cap", "--duty", "1.2"), "no MFN-plus-additional duty can meet"),
    ],
)
def test_bad_input_is_one_error_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], change: tuple[str, ...], message: str
) -> None:
    path = config.home() / "tariffs.toml"
    # an existing user file must come out byte for byte the same
    first = run_cli(capsys, *SET)
    assert first.code == 0
    before = path.read_bytes()
    args = list(SET)
    for flag, value in zip(change[::2], change[1::2], strict=True):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    res = run_cli(capsys, *args)
    assert res.code == 2
    assert message in res.err, res.err
    assert "Traceback" not in res.err
    assert path.read_bytes() == before


def test_nothing_written_when_no_file_yet(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, *SET[:2], "--hs6", "123456", *SET[4:])
    assert res.code == 2 and "unknown HS code" in res.err
    assert not (config.home() / "tariffs.toml").exists()
    missing = run_cli(capsys, "tariffs", "set", "--hs6", "250490")
    assert missing.code == 2  # typer: missing options


def test_remove_errors(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(capsys, "tariffs", "unset", "us-301-natural-graphite")
    assert res.code == 2 and "it is a packaged row" in res.err
    res = run_cli(capsys, "tariffs", "unset", "nope")
    assert res.code == 2 and "your rows are: none" in res.err


def test_user_file_keeps_comments_and_a_broken_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "tariffs.toml"
    path.write_text("# my notes on duties\n")
    m = tariff_file.set_measure(
        {"kind": "section301", "hs": "2504", "origin": "CHN", "destination": "USA",
         "duty": 0.5, "valid_from": "2027-01-01", "source": "what if 301 doubles"},
        path,
    )  # fmt: skip
    assert m.kind == "section301" and m.user
    text = path.read_text()
    assert text.startswith("# my notes on duties\n") and 'kind = "section301"' in text
    assert tf.parse_book(tf._packaged_text(), text, path).measures
    path.write_text(text + "\n[[measure]\n")
    with pytest.raises(Exception, match="not valid TOML"):
        tariff_file.set_measure(
            {"kind": "user", "hs": "2504", "destination": "USA", "duty": 0.1,
             "valid_from": "2027-01-01", "source": "x"},
            path,
        )  # fmt: skip


def test_show_filters_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    res = run_cli(
        capsys, "tariffs", "show", "--hs6", "2504", "--origin", "JPN", "--destination", "USA",
        "--date", "2025-10-01", "--format", "json",
    )  # fmt: skip
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    ids = {r["id"] for r in payload["data"]}
    assert {"us-mfn-2504", "us-japan-deal-cap", "us-annex2-graphite"} <= ids
    assert "us-301-natural-graphite" not in ids  # China only
    assert "coverage" in payload["meta"]
    csv = run_cli(
        capsys, "tariffs", "show", "--view", "duty", "-c", "lithium", "--origin", "JPN,AUS,CHN",
        "--destination", "USA", "--date", "2025-10-01", "-f", "csv",
    )  # fmt: skip
    assert csv.code == 0 and csv.out.count("\n") == 1 + 2 * 3
    bad = run_cli(capsys, "tariffs", "show", "--view", "duty", "--hs6", "2504")
    assert bad.code == 2 and "--view duty needs --origin" in bad.err
    date = run_cli(capsys, "tariffs", "show", "--date", "tomorrow")
    assert date.code == 2 and "is not a date" in date.err
