"""Generate the bundled sample logs: a deployed loan-default classifier, 2026-10-01 .. 2026-10-30.

Seeded and deterministic: every run writes the same bytes (fixed seeds, fixed Parquet settings,
no wall-clock values). See README.md next to this file for what the data holds, where the drift
is, which silent failures are injected on which days and what is wrong in the malformed file.

    python sample_logs/generate.py [--rows-per-day N] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SEED = 20261001
FIRST_DAY = dt.date(2026, 10, 1)
N_DAYS = 30  # 2026-10-01 .. 2026-10-30
LAST_LABEL_DAY = dt.date(2026, 10, 30)  # no label arrives after this day
FEATURE_DRIFT_DAY = dt.date(2026, 10, 15)
CONCEPT_DRIFT_DAY = dt.date(2026, 10, 22)
# A marketing campaign brings in applicants with lower credit scores, many of them close to the
# model's decision boundary: its scores say it is less sure, so the performance estimated from
# the scores drops on days whose labels have not arrived yet.
CAMPAIGN_DAY = dt.date(2026, 10, 27)
CAMPAIGN_CREDIT = (600.0, 45.0)  # centre and spread of credit scores from the campaign day
CSV_DAY = dt.date(2026, 10, 28)
JSONL_DAY = dt.date(2026, 10, 29)
MALFORMED_DAY = dt.date(2026, 10, 31)
MALFORMED_ROWS = 500
# The prediction logger was down for a few minutes on this day: the requests were served and
# their ids issued, so their labels arrive, but their prediction rows were never written.
OUTAGE_DAY = dt.date(2026, 10, 9)
OUTAGE_START = dt.time(3, 12)
OUTAGE_ROWS = 20
OUTAGE_LABEL_LAG_DAYS = 7


@dataclass(frozen=True)
class Injection:
    """A silent failure (issue 16): rows of ``day`` whose UTC hour is in ``[start, end)``.

    ``drop`` removes the rows (their labels are not written either); ``set`` writes a value,
    ``scale`` multiplies one (column, value per change). ``share`` < 1 picks that share of the
    hours' rows at random (exactly round(share * rows), from the injection's own generator).
    Only the logged columns change: the score and prediction stay what the model computed
    (except where the injection sets them), failed requests keep their null score.
    """

    name: str
    day: dt.date
    start: int
    end: int
    action: str
    changes: tuple[tuple[str, float | str], ...] = ()
    share: float = 1.0


# Applied after a day's rows and labels are drawn, with a generator of their own
# ([INJECTION_SEED, position in the table]): every other day's files stay byte for byte what
# they were before the injections existed. All on days with 3 earlier weeks of history, which
# the volume check compares an hour with.
INJECTION_SEED = 20261016
INJECTIONS = (
    Injection("outage", dt.date(2026, 10, 26), 2, 5, "drop"),
    Injection("zeros", dt.date(2026, 10, 27), 10, 16, "set", (("credit_score", 0),)),
    Injection("unit_change", dt.date(2026, 10, 28), 12, 24, "scale", (("income", 100.0),)),
    Injection("volume_drop", dt.date(2026, 10, 29), 6, 18, "drop", share=0.5),
    Injection(
        "new_category", dt.date(2026, 10, 30), 8, 12, "set", (("loan_purpose", "crypto"),), 0.4
    ),
    Injection(
        "stuck_score", dt.date(2026, 10, 30), 18, 22, "set", (("score", 0.0731), ("prediction", 0))
    ),
)

MODEL_VERSION = "1.4.0"
LABEL_COVERAGE = 0.85
LABEL_LAG_DAYS = (3.0, 10.0)
ERROR_RATE = 0.003
SCORE_DECIMALS = 6

HOME_OWNERSHIP = ("RENT", "MORTGAGE", "OWN", "OTHER")
HOME_OWNERSHIP_P = (0.40, 0.38, 0.18, 0.04)
HOME_OWNERSHIP_EFFECT = (0.15, -0.05, -0.20, 0.25)
LOAN_PURPOSES = (
    "debt_consolidation",
    "credit_card",
    "home_improvement",
    "car",
    "medical",
    "small_business",
    "education",
    "other",
)
PURPOSE_P_BEFORE = (0.36, 0.20, 0.10, 0.10, 0.06, 0.05, 0.05, 0.08)
PURPOSE_P_AFTER = (0.32, 0.18, 0.09, 0.09, 0.06, 0.15, 0.04, 0.07)
PURPOSE_EFFECT_TRUE = (0.10, 0.00, -0.25, -0.20, 0.30, 0.65, 0.20, 0.05)
PURPOSE_EFFECT_MODEL = (0.10, 0.00, -0.20, -0.20, 0.25, 0.55, 0.15, 0.05)
REGIONS = tuple(f"region_{i:02d}" for i in range(1, 11))
REGION_P = (0.16, 0.13, 0.12, 0.11, 0.10, 0.09, 0.09, 0.08, 0.07, 0.05)
REGION_EFFECT = (0.0, 0.05, -0.05, 0.10, -0.10, 0.05, 0.0, 0.15, -0.05, 0.10)
NEW_REGION = "region_11"
NEW_REGION_SHARE = 0.04
NEW_REGION_EFFECT = 0.30
N_EMPLOYERS = 3000
EMPLOYER_ZIPF = 1.05
CHANNELS = ("web", "mobile", "partner_api")
CHANNEL_P = (0.50, 0.35, 0.15)
ERRORS = ("timeout", "upstream_503", "feature_store_unavailable")
ERROR_P = (0.5, 0.3, 0.2)

# Drift sizes (README.md quotes these).
INCOME_MEDIAN = 55_000.0
INCOME_SHIFT = 0.80  # from FEATURE_DRIFT_DAY: income x0.8 (-20 %)
LOAN_MEDIAN = 12_000.0
LOAN_SHIFT = 1.25  # from FEATURE_DRIFT_DAY: loan_amount x1.25 (+25 %)

COLUMNS = (
    "request_id",
    "timestamp",
    "model_version",
    "income",
    "loan_amount",
    "debt_to_income",
    "credit_score",
    "age",
    "employment_years",
    "open_accounts",
    "home_ownership",
    "loan_purpose",
    "region",
    "employer",
    "score",
    "prediction",
    "latency_ms",
    "error",
    "channel",
    "client_version",
)
PREDICTION_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("model_version", pa.string()),
        ("income", pa.float64()),
        ("loan_amount", pa.float64()),
        ("debt_to_income", pa.float64()),
        ("credit_score", pa.int64()),
        ("age", pa.int64()),
        ("employment_years", pa.float64()),
        ("open_accounts", pa.int64()),
        ("home_ownership", pa.string()),
        ("loan_purpose", pa.string()),
        ("region", pa.string()),
        ("employer", pa.string()),
        ("score", pa.float64()),
        ("prediction", pa.int64()),
        ("latency_ms", pa.float64()),
        ("error", pa.string()),
        ("channel", pa.string()),
        ("client_version", pa.string()),
    ]
)
LABEL_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("label", pa.int64()),
        ("label_timestamp", pa.timestamp("ms", tz="UTC")),
    ]
)
TS_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
MS_PER_DAY = 86_400_000
EPOCH = dt.date(1970, 1, 1)


@dataclass
class Day:
    """One day of requests: the feature/prediction columns plus the hidden true labels."""

    columns: dict[str, np.ndarray]
    valid: dict[str, np.ndarray]  # column -> mask of non-null values (only nullable columns)
    ts_ms: np.ndarray
    label: np.ndarray  # true outcome (drawn for every row; only some are published)


def day_rng(day: dt.date, stream: int) -> np.random.Generator:
    return np.random.default_rng([SEED, day.toordinal(), stream])


def day_ms(day: dt.date) -> int:
    return (day - EPOCH).days * MS_PER_DAY


def rows_for_day(day: dt.date, rows_per_day: int) -> int:
    """Fewer requests at weekends; a little day-to-day noise."""
    weekday_factor = (1.06, 1.08, 1.07, 1.05, 1.02, 0.86, 0.86)[day.weekday()]
    noise = day_rng(day, 0).normal(0.0, 0.03)
    return max(1, round(rows_per_day * weekday_factor * float(np.exp(noise))))


def request_times(rng: np.random.Generator, day: dt.date, n: int) -> np.ndarray:
    """Sorted epoch milliseconds within ``day``: a daily cycle peaking mid-afternoon UTC."""
    minutes = np.arange(1440)
    hours = minutes / 60.0
    weight = 0.25 + (0.5 * (1.0 + np.cos(2.0 * np.pi * (hours - 14.5) / 24.0))) ** 2
    picked = rng.choice(1440, size=n, p=weight / weight.sum())
    offset = picked * 60_000 + rng.integers(0, 60_000, size=n)
    return np.sort(day_ms(day) + offset)


def employer_probs() -> np.ndarray:
    ranks = np.arange(1, N_EMPLOYERS + 1, dtype=float)
    p: np.ndarray = ranks**-EMPLOYER_ZIPF / np.sum(ranks**-EMPLOYER_ZIPF)
    return p


def employer_effects() -> np.ndarray:
    """A fixed risk offset per employer (the deployed model does not use the employer)."""
    return np.random.default_rng([SEED, 1]).normal(0.0, 0.25, size=N_EMPLOYERS)


def client_versions(rng: np.random.Generator, day: dt.date, channel: np.ndarray) -> np.ndarray:
    """Web and mobile clients roll out a new release over the month; partners use the API."""
    progress = (day - FIRST_DAY).days / N_DAYS
    new_share = min(0.9, 0.05 + progress)
    new = rng.random(channel.size) < new_share
    web = np.where(new, "web-2026.10.1", "web-2026.09.3")
    mobile = np.where(new, "app-5.3.0", "app-5.2.1")
    return np.select([channel == "web", channel == "mobile"], [web, mobile], "api-v2")


def standardised(
    f: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Credit score, debt-to-income, log income, log loan, employment years (0 when missing)
    on a common scale, and the missing-employment flag: the inputs of both logistic models."""
    cs = (f["credit_score"] - 690.0) / 70.0
    dti = (f["debt_to_income"] - 0.30) / 0.15
    inc = (np.log(f["income"]) - np.log(INCOME_MEDIAN)) / 0.5
    loan = (np.log(f["loan_amount"]) - np.log(LOAN_MEDIAN)) / 0.6
    emp_missing = np.isnan(f["employment_years"])
    emp = np.where(emp_missing, 0.0, (np.nan_to_num(f["employment_years"]) - 6.0) / 5.0)
    return cs, dti, inc, loan, emp, emp_missing


def true_logit(f: dict[str, np.ndarray], emp_effect: np.ndarray, concept: bool) -> np.ndarray:
    """The "true world": how default really depends on the applicant (changes on concept drift)."""
    cs, dti, inc, loan, emp, emp_missing = standardised(f)
    age = (f["age"] - 42.0) / 13.0
    cs_coef, dti_coef = (-0.05, 1.60) if concept else (-0.95, 0.60)
    z: np.ndarray = (
        -1.55
        + cs_coef * cs
        - 0.25 * np.minimum(cs, -1.2) ** 2  # very low scores are riskier than linear
        + dti_coef * dti
        - 0.40 * inc
        + 0.35 * loan
        - 0.20 * emp
        + 0.35 * emp_missing
        + 0.10 * age**2
        + 0.04 * (f["open_accounts"] - 6.0)
        + f["purpose_effect"]
        + f["home_effect"]
        + f["region_effect"]
        + emp_effect
    )
    return z


def model_score(f: dict[str, np.ndarray]) -> np.ndarray:
    """The deployed model 1.4.0: a fixed logistic function of the features (never retrained)."""
    cs, dti, inc, loan, emp, emp_missing = standardised(f)
    z = (
        -1.70
        - 0.90 * cs
        + 0.58 * dti
        - 0.38 * inc
        + 0.33 * loan
        - 0.18 * emp
        + 0.30 * emp_missing
        + f["purpose_effect_model"]
        + f["home_effect"]
    )
    p: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return p


def simulate_day(day: dt.date, n: int, first_id: int) -> Day:
    """Requests of one day, in time order, with ids ``first_id ..``."""
    rng = day_rng(day, 1)
    feature_drift = day >= FEATURE_DRIFT_DAY
    concept = day >= CONCEPT_DRIFT_DAY
    ts_ms = request_times(rng, day, n)

    income_median = INCOME_MEDIAN * (INCOME_SHIFT if feature_drift else 1.0)
    loan_median = LOAN_MEDIAN * (LOAN_SHIFT if feature_drift else 1.0)
    base = rng.normal(size=n)  # shared "financial standing" factor
    income = np.exp(np.log(income_median) + 0.5 * (0.6 * base + 0.8 * rng.normal(size=n)))
    income = np.round(np.clip(income, 8_000.0, 1_500_000.0), 0)
    loan = np.exp(np.log(loan_median) + 0.6 * (0.3 * base + 0.95 * rng.normal(size=n)))
    loan = np.round(np.clip(loan, 1_000.0, 150_000.0) / 50.0) * 50.0
    dti = np.round(np.clip(rng.gamma(4.0, 0.075, size=n), 0.0, 1.5), 3)
    centre, spread = CAMPAIGN_CREDIT if day >= CAMPAIGN_DAY else (690.0, 70.0)
    credit_raw = centre + spread * (0.5 * base + 0.87 * rng.normal(size=n))
    credit = np.clip(np.round(credit_raw), 300, 850).astype(np.int64)
    age = np.clip(np.round(18.0 + rng.gamma(3.0, 8.0, size=n)), 18, 90).astype(np.int64)
    emp_years = np.minimum(rng.gamma(1.6, 4.0, size=n), np.maximum(age - 18, 0) + 0.5)
    emp_years = np.round(emp_years, 1)
    emp_valid = rng.random(n) >= 0.02
    emp_years = np.where(emp_valid, emp_years, np.nan)
    open_accounts = rng.poisson(6.0, size=n).astype(np.int64)

    home_idx = rng.choice(len(HOME_OWNERSHIP), size=n, p=HOME_OWNERSHIP_P)
    purpose_p = PURPOSE_P_AFTER if feature_drift else PURPOSE_P_BEFORE
    purpose_idx = rng.choice(len(LOAN_PURPOSES), size=n, p=purpose_p)
    region_idx = rng.choice(len(REGIONS), size=n, p=REGION_P)
    region = np.asarray(REGIONS, dtype=object)[region_idx]
    region_effect = np.asarray(REGION_EFFECT)[region_idx]
    if feature_drift:
        new = rng.random(n) < NEW_REGION_SHARE
        region = np.where(new, NEW_REGION, region)
        region_effect = np.where(new, NEW_REGION_EFFECT, region_effect)
    employer_idx = rng.choice(N_EMPLOYERS, size=n, p=employer_probs())
    employer = np.asarray([f"emp-{i + 1:04d}" for i in range(N_EMPLOYERS)])[employer_idx]

    f: dict[str, np.ndarray] = {
        "income": income,
        "loan_amount": loan,
        "debt_to_income": dti,
        "credit_score": credit,
        "age": age,
        "employment_years": emp_years,
        "open_accounts": open_accounts,
        "purpose_effect": np.asarray(PURPOSE_EFFECT_TRUE)[purpose_idx],
        "purpose_effect_model": np.asarray(PURPOSE_EFFECT_MODEL)[purpose_idx],
        "home_effect": np.asarray(HOME_OWNERSHIP_EFFECT)[home_idx],
        "region_effect": region_effect,
    }
    p_true = 1.0 / (1.0 + np.exp(-true_logit(f, employer_effects()[employer_idx], concept)))
    label = (rng.random(n) < p_true).astype(np.int64)
    score = np.round(model_score(f), SCORE_DECIMALS)
    prediction = (score >= 0.5).astype(np.int64)

    latency = np.exp(np.log(28.0) + 0.35 * rng.normal(size=n))
    tail = rng.random(n) < 0.02
    latency = latency + np.where(tail, 60.0 * (rng.pareto(1.8, size=n) + 1.0), 0.0)
    failed = rng.random(n) < ERROR_RATE
    error_kind = np.asarray(ERRORS)[rng.choice(len(ERRORS), size=n, p=ERROR_P)]
    error = np.where(failed, error_kind, "")
    latency = np.where(error == "timeout", 1000.0 + rng.uniform(0.0, 15.0, size=n), latency)
    latency = np.where(error == "upstream_503", rng.uniform(3.0, 15.0, size=n), latency)
    latency = np.round(latency, 1)
    channel = np.asarray(CHANNELS)[rng.choice(len(CHANNELS), size=n, p=CHANNEL_P)]

    columns: dict[str, np.ndarray] = {
        "request_id": np.asarray([f"req-{i:08d}" for i in range(first_id, first_id + n)]),
        "timestamp": ts_ms,
        "model_version": np.full(n, MODEL_VERSION),
        "income": income,
        "loan_amount": loan,
        "debt_to_income": dti,
        "credit_score": credit,
        "age": age,
        "employment_years": np.nan_to_num(emp_years),
        "open_accounts": open_accounts,
        "home_ownership": np.asarray(HOME_OWNERSHIP)[home_idx],
        "loan_purpose": np.asarray(LOAN_PURPOSES)[purpose_idx],
        "region": region.astype(str),
        "employer": employer,
        "score": score,
        "prediction": prediction,
        "latency_ms": latency,
        "error": error,
        "channel": channel,
        "client_version": client_versions(rng, day, channel),
    }
    valid = {
        "employment_years": emp_valid,
        "score": ~failed,
        "prediction": ~failed,
        "error": failed,
    }
    return Day(columns=columns, valid=valid, ts_ms=ts_ms, label=label)


def subset(day: Day, keep: np.ndarray) -> Day:
    return Day(
        columns={k: v[keep] for k, v in day.columns.items()},
        valid={k: v[keep] for k, v in day.valid.items()},
        ts_ms=day.ts_ms[keep],
        label=day.label[keep],
    )


def inject(day: Day, date: dt.date) -> Day:
    """``day`` with the silent failures of ``date`` applied, in table order."""
    for index, injection in enumerate(INJECTIONS):
        if injection.day != date:
            continue
        hour_ms = (day.ts_ms - day_ms(date)) // 3_600_000
        rows = np.flatnonzero((hour_ms >= injection.start) & (hour_ms < injection.end))
        if injection.share < 1.0:
            rng = np.random.default_rng([INJECTION_SEED, index])
            picked = rng.choice(rows, size=round(injection.share * rows.size), replace=False)
            rows = np.sort(picked)
        if injection.action == "drop":
            keep = np.ones(day.ts_ms.size, dtype=bool)
            keep[rows] = False
            day = subset(day, keep)
            continue
        columns = dict(day.columns)
        for name, value in injection.changes:
            column = columns[name].astype(np.result_type(columns[name], np.asarray(value)))
            if injection.action == "set":
                column[rows] = value
            elif injection.action == "scale":
                column[rows] = column[rows] * value
            else:
                raise ValueError(f"unknown injection action {injection.action!r}")
            columns[name] = column
        day = Day(columns=columns, valid=day.valid, ts_ms=day.ts_ms, label=day.label)
    return day


def prediction_table(day: Day) -> pa.Table:
    arrays = []
    for field in PREDICTION_SCHEMA:
        values = day.columns[field.name]
        mask = ~day.valid[field.name] if field.name in day.valid else None
        arrays.append(pa.array(values, type=field.type, mask=mask))
    return pa.Table.from_arrays(arrays, schema=PREDICTION_SCHEMA)


def as_text_timestamps(table: pa.Table) -> pl.DataFrame:
    """The table as polars with timestamp columns formatted as ISO-8601 UTC text (``...Z``)."""
    frame = pl.DataFrame(pl.from_arrow(table))
    stamps = [n for n, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(pl.col(n).dt.strftime(TS_FORMAT) for n in stamps)


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1_000_000,
        data_page_version="1.0",
        version="2.6",
    )


def draw_labels(day: Day, rng: np.random.Generator) -> pa.Table:
    """Labels of the requests that get one (not failed ones), arriving 3-10 days later."""
    n = day.label.size
    labelled = (rng.random(n) < LABEL_COVERAGE) & day.valid["score"]
    lo, hi = LABEL_LAG_DAYS
    lag_ms = np.round(rng.uniform(lo, hi, size=n) * MS_PER_DAY).astype(np.int64)
    return pa.Table.from_arrays(
        [
            pa.array(day.columns["request_id"][labelled], type=pa.string()),
            pa.array(day.label[labelled], type=pa.int64()),
            pa.array((day.ts_ms + lag_ms)[labelled], type=pa.timestamp("ms", tz="UTC")),
        ],
        schema=LABEL_SCHEMA,
    )


def outage_labels(day: Day, rng: np.random.Generator) -> pa.Table:
    """Labels of the requests lost in the logger outage: all of them arrive, 7 days later."""
    jitter = rng.integers(0, 3_600_000, size=day.label.size)
    return pa.Table.from_arrays(
        [
            pa.array(day.columns["request_id"], type=pa.string()),
            pa.array(day.label, type=pa.int64()),
            pa.array(
                day.ts_ms + OUTAGE_LABEL_LAG_DAYS * MS_PER_DAY + jitter,
                type=pa.timestamp("ms", tz="UTC"),
            ),
        ],
        schema=LABEL_SCHEMA,
    )


def break_rows(day: Day, date: dt.date) -> pl.DataFrame:
    """The malformed file: good rows as text, with known problems injected on a few rows each."""
    frame = as_text_timestamps(prediction_table(day)).with_columns(pl.all().cast(pl.String))
    rows = frame.to_dicts()
    ok = [i for i in range(len(rows)) if rows[i]["error"] is None]
    # Disjoint groups of rows, in a fixed order, one group per problem.
    rng = day_rng(date, 7)
    picked = [ok[i] for i in rng.permutation(len(ok))[:40]]
    take = iter(picked)

    def group(k: int) -> list[int]:
        return [next(take) for _ in range(k)]

    for i, bad in zip(
        group(5),
        (
            "31/10/2026 25:00",
            "not-a-time",
            "2026-10-31T25:61:00Z",
            "2026-13-31T10:00:00Z",
            "yesterday",
        ),
        strict=True,
    ):
        rows[i]["timestamp"] = bad
    for i, bad in zip(group(4), ("1.7", "-0.2", "1.000001", "42.0"), strict=True):
        rows[i]["score"] = bad
    for i, bad in zip(group(3), ("2", "-1", "7"), strict=True):
        rows[i]["prediction"] = bad
    for i in group(3):
        rows[i]["request_id"] = None
    for i, bad in zip(group(3), ("abc", "unknown", "52k"), strict=True):
        rows[i]["income"] = bad
    # Conflicting duplicates: a later row reuses an earlier row's id with different content.
    for original, copy in zip(group(4), group(4), strict=True):
        first, second = sorted((original, copy))
        rows[second]["request_id"] = rows[first]["request_id"]
    # Exact duplicates: a row sent twice, byte for byte (a retry).
    for original, copy in zip(group(2), group(2), strict=True):
        first, second = sorted((original, copy))
        rows[second] = dict(rows[first])
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String))


def clear_outputs(out: Path) -> None:
    """Remove files an earlier run wrote (only this script's file name patterns)."""
    patterns = {
        "predictions": "predictions-*",
        "labels": "labels-*.parquet",
        "malformed": "predictions-*-malformed.csv",
    }
    for sub, pattern in patterns.items():
        for path in sorted((out / sub).glob(pattern)):
            path.unlink()


def generate(out: Path, rows_per_day: int) -> list[tuple[Path, int]]:
    """Write every file; return (path, rows) per file in writing order."""
    for sub in ("predictions", "labels", "malformed"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    written: list[tuple[Path, int]] = []
    labels: list[pa.Table] = []
    next_id = 1
    for k in range(N_DAYS):
        day = FIRST_DAY + dt.timedelta(days=k)
        n = rows_for_day(day, rows_per_day)
        sim = simulate_day(day, n, next_id)
        next_id += n
        label_rng = day_rng(day, 2)
        if day == OUTAGE_DAY:
            outage_ms = day_ms(day) + (OUTAGE_START.hour * 60 + OUTAGE_START.minute) * 60_000
            start = int(np.searchsorted(sim.ts_ms, outage_ms))
            lost = np.zeros(n, dtype=bool)
            lost[start : start + OUTAGE_ROWS] = True
            labels.append(outage_labels(subset(sim, lost), label_rng))
            sim = subset(sim, ~lost)
        drawn = draw_labels(sim, label_rng)
        logged = sim.ts_ms.size
        sim = inject(sim, day)
        if sim.ts_ms.size < logged:
            # rows an injection dropped were never logged: keep no label for them
            kept = pa.array(sim.columns["request_id"], type=pa.string())
            drawn = drawn.filter(pc.is_in(drawn["request_id"], value_set=kept))
        labels.append(drawn)
        table = prediction_table(sim)
        stem = out / "predictions" / f"predictions-{day.isoformat()}"
        if day == CSV_DAY:
            path = stem.with_suffix(".csv")
            as_text_timestamps(table).write_csv(path, null_value="")
        elif day == JSONL_DAY:
            path = stem.with_suffix(".jsonl")
            as_text_timestamps(table).write_ndjson(path)
        else:
            path = stem.with_suffix(".parquet")
            write_parquet(table, path)
        written.append((path, table.num_rows))

    all_labels = pl.DataFrame(pl.from_arrow(pa.concat_tables(labels)))
    all_labels = all_labels.with_columns(pl.col("label_timestamp").dt.date().alias("_day"))
    last = all_labels.filter(pl.col("_day") <= LAST_LABEL_DAY).sort("label_timestamp", "request_id")
    for (arrival,), part in last.group_by("_day", maintain_order=True):
        assert isinstance(arrival, dt.date)
        path = out / "labels" / f"labels-{arrival.isoformat()}.parquet"
        write_parquet(part.drop("_day").to_arrow().cast(LABEL_SCHEMA), path)
        written.append((path, part.height))

    bad = simulate_day(MALFORMED_DAY, MALFORMED_ROWS, next_id)
    path = out / "malformed" / f"predictions-{MALFORMED_DAY.isoformat()}-malformed.csv"
    break_rows(bad, MALFORMED_DAY).write_csv(path, null_value="")
    written.append((path, MALFORMED_ROWS))
    return written


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-day", type=int, default=6000, help="mean requests per day")
    parser.add_argument("--out", type=Path, default=here, help="output folder (default: here)")
    args = parser.parse_args()
    if args.rows_per_day < 100:
        parser.error("--rows-per-day must be at least 100")
    written = generate(args.out, args.rows_per_day)
    total_rows = total_bytes = 0
    for path, rows in written:
        size = path.stat().st_size
        total_rows += rows
        total_bytes += size
        print(f"{path.relative_to(args.out)!s:<50} {rows:>7,} rows {size:>10,} bytes")
    print(f"{len(written)} files, {total_rows:,} rows, {total_bytes:,} bytes in {args.out}")


if __name__ == "__main__":
    main()
