"""Plot one dong's monthly electricity from Gwangju's open-data API.

    pip install "pandas>=2,<3" "matplotlib>=3.8,<4"
    python dong_electricity.py --dong 2917065600 --months 12 --out munheung1.png
    python dong_electricity.py --base http://127.0.0.1:8000 --dong 2917065600

It downloads the open-data CSV (every dong, one row per month; no token, no key),
keeps the dong asked for, and draws its monthly use in kWh as bars. The CSV's first
line is its licence (KOGL Type 1, attribution): pandas skips it as a comment and the
plot repeats it, as the licence asks. A month the privacy rule withheld is listed with
`status` = withheld and no figure: it is shown as a gap and named on the plot, never
as zero. Dong codes (10-digit administrative codes): GET /v1/districts/{code}/dongs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import textwrap
import urllib.parse
import urllib.request

import matplotlib

matplotlib.use("Agg")  # files only: no window needed
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager

DEFAULT_BASE = "https://energy.gwangju.go.kr"
KST = dt.timezone(dt.timedelta(hours=9))
# Dong names and the licence are Korean: the first of these fonts found draws them.
KOREAN_FONTS = ("Noto Sans CJK KR", "NanumGothic", "Malgun Gothic", "AppleGothic")


def month_window(months: int, today: dt.date) -> tuple[str, str]:
    """The last `months` whole KST months up to and including this one: start, end."""
    end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    start = end
    for _ in range(months):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start.isoformat(), end.isoformat()


def fetch(base: str, start: str, end: str) -> tuple[str, pd.DataFrame]:
    """The licence line and every dong's monthly electricity in [start, end)."""
    query = urllib.parse.urlencode(
        {"level": "dong", "every": "month", "utility": "electricity", "start": start, "end": end}
    )
    url = f"{base.rstrip('/')}/v1/open-data/consumption.csv?{query}"
    with urllib.request.urlopen(url, timeout=60) as answer:
        text = answer.read().decode("utf-8")
    licence = text.splitlines()[0].removeprefix("# ").strip()
    codes = {"district_code": str, "dong_code": str}  # codes are names, not numbers
    table = pd.read_csv(io.StringIO(text), comment="#", dtype=codes)
    return licence, table


def one_dong(table: pd.DataFrame, dong: str) -> pd.DataFrame:
    rows = table[table["dong_code"] == dong].copy()
    rows["month"] = pd.to_datetime(rows["period_start"]).dt.strftime("%Y-%m")
    columns = ["month", "status", "consumption_kwh", "households", "dong_name_ko"]
    return rows[columns].sort_values("month")


def plot(rows: pd.DataFrame, dong: str, licence: str, out: str) -> None:
    present = {f.name for f in font_manager.fontManager.ttflist}
    plt.rcParams["font.family"] = [f for f in KOREAN_FONTS if f in present] + ["DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    months = rows["month"].tolist()  # every month on the axis, a withheld one left empty
    figures = rows["consumption_kwh"].where(rows["status"] == "ok")
    ax.bar(months, figures.fillna(0).tolist(), color="#2f6db5", width=0.6)
    ax.set_xlim(-0.75, max(len(months), 3) - 0.25)  # one month is a bar, not a wall
    ax.set_title(f"{rows['dong_name_ko'].iloc[0]} ({dong}): electricity per month")
    ax.set_xlabel("month (KST)")
    ax.set_ylabel("kWh")
    ax.tick_params(axis="x", labelrotation=45)
    withheld = rows[rows["status"] == "withheld"]["month"].tolist()
    note = f"withheld (privacy rule): {', '.join(withheld)}\n" if withheld else ""
    fig.text(0.01, 0.01, note + textwrap.fill(licence, 150), fontsize=6, va="bottom")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="the API's address")
    parser.add_argument("--dong", required=True, help="10-digit administrative dong code")
    parser.add_argument("--months", type=int, default=12, help="whole months, this one last")
    parser.add_argument("--out", default="dong_electricity.png", help="the plot (PNG)")
    args = parser.parse_args(argv)
    start, end = month_window(args.months, dt.datetime.now(KST).date())
    licence, table = fetch(args.base, start, end)
    rows = one_dong(table, args.dong)
    if rows.empty:
        parser.exit(1, f"no published electricity for dong {args.dong} from {start} to {end}\n")
    plot(rows, args.dong, licence, args.out)
    print(rows.to_string(index=False))
    print(f"plot: {args.out}")
    return rows


if __name__ == "__main__":
    main()
