"""`filmc cost`: jobs x takes / keep_rate x the target's price, per currency, unknown prices made visible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compiler.jobs.cost import estimate, load_jobs, parse_rate
from compiler.targets import load_targets

from ..conftest import ROOT, run_cli
from .userfilm import user_film

LIGHTHOUSE = ROOT / "specs" / "lighthouse-keeper"


def rows_of(data: dict) -> dict[str, dict]:
    return {r["job"]: r for r in data["rows"]}


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lk") / "lighthouse-keeper"
    shutil.copytree(LIGHTHOUSE, folder, ignore=shutil.ignore_patterns("build", ".filmc"))
    return folder


def test_lighthouse_numbers_by_hand(lighthouse: Path) -> None:
    # film.keep_rate 0.3, one kept take: 1 / 0.3 generations per job.
    r = run_cli(["cost", str(lighthouse), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["keep_rate"] == 0.3 and data["takes"] == 1 and data["jobs"] == 88
    rows = rows_of(data)
    # mystic (freepik, resolution 2k from targets.options): 0.10 EUR per image.
    s01 = rows["s01.mystic"]
    assert (s01["currency"], s01["per_generation"]) == ("EUR", 0.1)
    assert s01["expected"] == pytest.approx(0.10 / 0.3)
    # runway gen4_turbo: 0.05 USD per second; s22 is generated at 10 s.
    s22 = rows["s22.runway"]
    assert (s22["currency"], s22["duration"]) == ("USD", 10.0)
    assert s22["per_generation"] == pytest.approx(0.50) and s22["expected"] == pytest.approx(0.05 * 10 / 0.3)
    # kling's only price is for its own API; the film sends kling through freepik: unknown.
    assert rows["s01.kling"]["price"] is None and rows["s01.kling"]["reason"] == "no price for this provider"
    assert rows["s01.flux"]["price"] is None  # flux's price is for bfl flux-pro-1.1, the film uses freepik flux-dev
    assert data["total"]["EUR"] == pytest.approx(22 * 0.10 / 0.3)
    runway_s = sum(rows[f"s{i:02d}.runway"]["duration"] for i in range(1, 23))
    assert data["total"]["USD"] == pytest.approx(runway_s * 0.05 / 0.3)
    assert data["lower_bound"] is True and len(data["unknown_price"]) == 44
    assert {p["key"] for p in data["prices"]} == {"mystic#1", "runway#1"}
    assert {"date", "source", "confidence"} <= set(data["prices"][0])
    assert not (lighthouse / "build").exists()  # cost writes nothing


def test_lighthouse_takes_and_selection(lighthouse: Path) -> None:
    r = run_cli(["cost", str(lighthouse), "--format", "json", "--takes", "3", "--target", "runway",
                 "--select", "s01,s02"])
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert [row["job"] for row in data["rows"]] == ["s01.runway", "s02.runway"]
    assert rows_of(data)["s01.runway"]["expected"] == pytest.approx(3 / 0.3 * 0.05 * 5)
    assert data["lower_bound"] is False


def test_user_target_price_matching_currencies_and_unknowns(tmp_path: Path) -> None:
    folder = user_film(tmp_path)
    r = run_cli(["cost", "film.yaml", "--takes", "2", "--format", "json"], cwd=folder)
    assert r.exit_code == 0, r.stderr
    data = r.json()
    rows = rows_of(data)
    gens = 2 / 0.25  # keep_rate 0.25 in film.yaml
    # (price entry, per generation, currency) worked out from userfilm.py's prices:
    expect = {
        "s01.clipper": ("clipper#1", 0.02 * 10, "USD"),  # fast at 10 s: only the entry without `when` holds
        "s02.clipper": ("clipper#2", 0.30, "USD"),       # fast at 5 s: both hold, the two-condition one wins
        "s03.clipper": ("clipper#3", 0.05 * 10, "USD"),  # model best-2 is in the list [best, best-2]
        "s04.clipper": ("clipper#4", 0.20, "EUR"),       # provider euro at 1080p
        "s01.stills": ("stills#1", 0.04, "EUR"),         # model pro, per image
    }
    for job, (key, per, cur) in expect.items():
        row = rows[job]
        assert (row["price"], row["currency"]) == (key, cur), job
        assert row["per_generation"] == pytest.approx(per) and row["expected"] == pytest.approx(gens * per), job
    for job in ("s02.stills", "s03.stills", "s04.stills"):  # the schema's default model 'basic' has no price
        assert rows[job]["price"] is None and rows[job]["expected"] is None
    assert data["total"] == pytest.approx({"USD": gens * 1.0, "EUR": gens * 0.24})
    assert data["by_target"]["clipper"] == pytest.approx({"USD": 8.0, "EUR": 1.6})
    assert data["by_section"]["verse1"] == pytest.approx({"USD": 6.4})
    assert data["lower_bound"] is True and data["unknown_price"] == ["s02.stills", "s03.stills", "s04.stills"]
    assert data["converted"] is None  # never mixed without a rate


def test_rate_converts_the_total_only_when_asked(tmp_path: Path) -> None:
    folder = user_film(tmp_path)
    r = run_cli(["cost", "film.yaml", "--takes", "2", "--rate", "EUR:USD=1.1", "--format", "json"], cwd=folder)
    conv = r.json()["converted"]
    assert conv["currency"] == "USD" and conv["amount"] == pytest.approx(8.0 + 1.92 * 1.1)
    r = run_cli(["cost", "film.yaml", "--rate", "GBP:USD=1.3", "--format", "json"], cwd=folder)
    assert r.json()["converted"] is None and r.json()["unconverted"] == ["EUR"]


def test_text_output_says_lower_bound_and_lists_prices(tmp_path: Path) -> None:
    r = run_cli(["cost", "film.yaml"], cwd=user_film(tmp_path))
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "total: at least " in out and "EUR" in out and "USD" in out
    assert "3 of 8 jobs have no known price [C501]" in out
    assert "[5] clipper/euro: 0.20 EUR per generation when resolution=1080p; undated; euro page (I: inferred)" in out
    assert "\x1b" not in out  # plain text when not a terminal


@pytest.mark.parametrize("args", [["--rate", "EUR=1.1"], ["--rate", "EUR:USD=1.1", "--rate", "USD:EUR=0.9"],
                                  ["--select", "nothing*"], ["--takes", "0"], ["--target", "nope"]])
def test_usage_errors(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(["cost", "film.yaml", *args], cwd=user_film(tmp_path))
    assert r.exit_code == 2 and "Traceback" not in r.stderr


def test_invalid_film_is_a_located_error(tmp_path: Path) -> None:
    folder = user_film(tmp_path)
    (folder / "film.yaml").write_text((folder / "film.yaml").read_text().replace("keep_rate: 0.25", "keep_rate: 2"))
    r = run_cli(["cost", "film.yaml"], cwd=folder)
    assert r.exit_code == 1 and "film.yaml:2:" in r.stderr and "error[V105]" in r.stderr


def test_jobs_read_back_from_a_build_cost_the_same(tmp_path: Path) -> None:
    folder = user_film(tmp_path)
    assert run_cli(["build", "film.yaml"], cwd=folder).exit_code == 0
    from_cli = run_cli(["cost", "film.yaml", "--format", "json"], cwd=folder).json()
    jobs = load_jobs(folder / "build")
    est = estimate(jobs, load_targets(folder), keep_rate=0.25)
    assert sorted((r.job, r.expected) for r in est.rows) == sorted((r["job"], r["expected"]) for r in from_cli["rows"])


def test_parse_rate() -> None:
    assert parse_rate("eur:usd=1.08") == ("EUR", "USD", 1.08)
    for bad in ("EUR:EUR=1", "EUR:USD=0", "EUR:USD=-1", "1.08", "EURO:USD=1"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_terminal_table_has_the_same_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from compiler.jobs.cost_text import print_rich

    folder = user_film(tmp_path)
    est = estimate(load_jobs_of(folder), load_targets(folder), keep_rate=0.25)
    print_rich(est, "Case Film")
    out = capsys.readouterr().out
    assert "s04.clipper" in out and "total: at least 0.96 EUR + 4.00 USD" in out and "[C501]" in out


def load_jobs_of(folder: Path) -> list[dict]:
    assert run_cli(["build", "film.yaml"], cwd=folder).exit_code == 0
    return load_jobs(folder / "build")


def test_generation_price_for_one_attempt(tmp_path: Path) -> None:
    from compiler.jobs.cost import generation_price

    folder = user_film(tmp_path)
    jobs = {j["job"]: j for j in load_jobs_of(folder)}
    targets = load_targets(folder)
    amount, price = generation_price(jobs["s03.clipper"], targets["clipper"])  # type: ignore[misc]
    assert (amount, price.currency, price.unit) == (pytest.approx(0.5), "USD", "second")
    assert generation_price(jobs["s02.stills"], targets["stills"]) is None


def test_the_starters_unknown_price_says_why_and_how_to_give_one(tmp_path: Path) -> None:
    assert run_cli(["init", str(tmp_path / "f")]).exit_code == 0
    film = tmp_path / "f"
    out = run_cli(["cost", str(film)]).stdout
    assert "5 of 10 jobs have no known price [C501]" in out
    assert "kling through freepik: its target.yaml has no sourced price for this provider" in out
    assert "`filmc targets show kling`" in out and "targets/kling/ beside film.yaml" in out
    # doing what it says counts the price
    shown = run_cli(["targets", "show", "kling"]).stdout
    folder = Path(next(line.split(None, 1)[1] for line in shown.splitlines() if line.startswith("folder")))
    shutil.copytree(folder, film / "targets" / "kling")
    with (film / "targets" / "kling" / "target.yaml").open("a") as f:
        f.write("  - {provider: freepik, unit: second, amount: 0.05, currency: EUR, date: 2026-12, "
                "source: my invoice, confidence: V}\n")
    priced = run_cli(["cost", str(film)])
    assert priced.exit_code == 0, priced.stderr
    assert "C501" not in priced.stdout and "total: at least" not in priced.stdout
