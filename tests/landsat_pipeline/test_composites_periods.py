"""Composite periods (a season of every year, or every month) and the composites config."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from landsat_ops.periods import (
    PeriodSpec,
    parse_period,
    period_of_label,
    periods_containing,
    periods_ending_within,
)

D = datetime.date
SUMMER = parse_period("summer", "06-01..09-30")
WINTER = parse_period("winter", "12-01..02-29")
MONTHLY = parse_period("monthly", "months")


def test_a_season_of_every_year_and_its_label():
    period = SUMMER.of_year(2024)
    assert (period.label, period.start, period.end) == (
        "2024-summer",
        D(2024, 6, 1),
        D(2024, 9, 30),
    )
    assert D(2024, 6, 1) in period and D(2024, 9, 30) in period
    assert D(2024, 5, 31) not in period and D(2024, 10, 1) not in period


def test_a_season_across_the_new_year_belongs_to_its_first_year_and_02_29_is_february_end():
    assert WINTER.of_year(2023).end == D(2024, 2, 29)  # leap year
    assert WINTER.of_year(2024).end == D(2025, 2, 28)
    assert [p.label for p in periods_containing([WINTER], D(2025, 1, 15))] == ["2024-winter"]
    assert [p.label for p in periods_containing([WINTER], D(2024, 12, 1))] == ["2024-winter"]
    assert periods_containing([WINTER], D(2024, 3, 1)) == []


def test_months_and_several_periods_containing_a_day():
    found = periods_containing([SUMMER, MONTHLY], D(2024, 7, 14))
    assert [(p.label, p.start, p.end) for p in found] == [
        ("2024-summer", D(2024, 6, 1), D(2024, 9, 30)),
        ("2024-07", D(2024, 7, 1), D(2024, 7, 31)),
    ]
    december = periods_containing([MONTHLY], D(2024, 12, 31))[0]
    assert (december.label, december.end) == ("2024-12", D(2024, 12, 31))


@pytest.mark.parametrize(
    ("first", "last", "labels"),
    [
        pytest.param(D(2024, 9, 1), D(2024, 9, 30), ["2024-09", "2024-summer"], id="september"),
        pytest.param(D(2024, 8, 1), D(2024, 8, 31), ["2024-08"], id="august"),
        pytest.param(D(2024, 2, 1), D(2024, 2, 29), ["2023-winter", "2024-02"], id="winter-end"),
        pytest.param(D(2023, 1, 1), D(2024, 12, 31), None, id="two-years"),
    ],
)
def test_periods_ending_within_a_month_are_what_a_monthly_run_makes(first, last, labels):
    found = [p.label for p in periods_ending_within([SUMMER, WINTER, MONTHLY], first, last)]
    if labels is None:  # two years: 24 months, 2 summers, 2 winters (2022's and 2023's)
        assert len(found) == 28 and len(set(found)) == 28
        assert {"2022-winter", "2023-winter", "2023-summer", "2024-summer"} <= set(found)
    else:
        assert sorted(found) == sorted(labels)


def test_a_label_names_its_period_or_says_what_labels_exist():
    assert period_of_label([SUMMER, MONTHLY], "2019-summer") == SUMMER.of_year(2019)
    assert period_of_label([SUMMER, MONTHLY], "2019-02").end == D(2019, 2, 28)
    with pytest.raises(ValueError, match=r"'2019-autumn' is not one of this area's periods"):
        period_of_label([SUMMER], "2019-autumn")
    with pytest.raises(ValueError, match="expected <year>-summer"):
        period_of_label([SUMMER], "2019-07")  # no monthly period configured
    with pytest.raises(ValueError, match="not a period label"):
        period_of_label([SUMMER], "summer")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        pytest.param("summer", "06-01-09-30", "not MM-DD..MM-DD", id="no-dots"),
        pytest.param("summer", "06-31..09-30", "06-31 is not a day", id="bad-day"),
        pytest.param("summer", "13-01..09-30", "13-01 is not a day", id="bad-month"),
        pytest.param("summer", "06-01..06-01", "single day", id="one-day"),
        pytest.param("2024", "06-01..09-30", "the name", id="digit-name"),
        pytest.param("Summer", "06-01..09-30", "the name", id="upper-case"),
        pytest.param("summer", 601, "not MM-DD..MM-DD", id="number"),
    ],
)
def test_bad_periods_are_refused_saying_why(name, value, says):
    with pytest.raises(ValueError, match=says):
        parse_period(name, value)


def config(tmp_path: Path, composites) -> object:
    from landsat_pipeline.config import parse_config

    raw = {
        "catalog": {"url": "https://example.com/stac"},
        "storage": {"root": str(tmp_path)},
        "areas": {"a": {"path_rows": [[226, 10]], "composites": composites}},
    }
    return parse_config(raw, tmp_path / "areas.yaml")


def test_the_composites_section_and_its_defaults(tmp_path):
    settings = config(tmp_path, {"periods": {"summer": "06-01..09-30"}}).areas[0].composites
    assert settings.periods == (PeriodSpec("summer", (6, 1), (9, 30)),)
    assert (settings.crs, settings.resolution, settings.stat, settings.tile_size) == (
        None,
        30.0,
        "median",
        1024,
    )
    assert settings.products == ("truecolor", "falsecolor", "ndvi")


@pytest.mark.parametrize(
    ("composites", "key", "says"),
    [
        pytest.param({}, "areas.a.composites.periods", "is missing", id="no-periods"),
        pytest.param({"periods": {}}, "areas.a.composites.periods", "is empty", id="empty"),
        pytest.param(
            {"periods": {"summer": "06-01..09-31"}},
            "areas.a.composites.periods.summer",
            "09-31 is not a day",
            id="bad-period",
        ),
        pytest.param(
            {"periods": {"m": "months", "n": "months"}},
            "areas.a.composites.periods",
            "at most one monthly",
            id="two-monthly",
        ),
        pytest.param(
            {"periods": {"m": "months"}, "crs": "3413"}, "areas.a.composites.crs", "EPSG", id="crs"
        ),
        pytest.param(
            {"periods": {"m": "months"}, "stat": "mean"},
            "areas.a.composites.stat",
            "mean",
            id="stat",
        ),
        pytest.param(
            {"periods": {"m": "months"}, "tile_size": 32},
            "areas.a.composites.tile_size",
            "between 64",
            id="tile",
        ),
        pytest.param(
            {"periods": {"m": "months"}, "products": ["histograms"]},
            "areas.a.composites.products",
            "histograms",
            id="products",
        ),
        pytest.param(
            {"periods": {"m": "months"}, "resolution": 0},
            "areas.a.composites.resolution",
            "between 1",
            id="resolution",
        ),
        pytest.param(
            {"periods": {"m": "months"}, "colour": 1},
            "areas.a.composites.colour",
            "known",
            id="key",
        ),
    ],
)
def test_a_bad_composites_section_is_one_line_naming_the_key(tmp_path, composites, key, says):
    from landsat_pipeline.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        config(tmp_path, composites)
    message = str(error.value)
    assert "\n" not in message
    assert f"{tmp_path / 'areas.yaml'}: {key} " in message and says in message, message
