"""
Two commits side by side: `python -m bench.compare BEFORE AFTER [--scale large]`.

Checks each commit out in a worktree of its own (sharing this checkout's
virtualenv), then runs bench.run scenario by scenario, the two commits
alternating on the same data set (a database per commit, as a migration can
stand between them), each scenario `--rounds` times, so that a
busy moment of the machine falls on both alike. Prints a Markdown table of
the medians and writes bench/results/compare-<scale>.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.run import DEFAULT_DATABASE_URL, RESULTS, SCENARIOS

BASE_DIR = Path(__file__).resolve().parent.parent
FIGURES = [
    ("req/s", "peak", "rps", "{:.0f}"),
    ("p50 ms", "moderate", "p50_ms", "{:.1f}"),
    ("p99 ms", "moderate", "p99_ms", "{:.1f}"),
    ("queries/req", "peak", "queries_per_request", "{:.1f}"),
    ("CPU ms/req", "peak", "cpu_ms_per_request", "{:.2f}"),
]


def worktree(revision, root):
    path = root / revision
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(path), revision],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    (path / ".venv").symlink_to(BASE_DIR / ".venv")
    return path


def database_of(revision):
    """The benchmark database of one commit (bench.seed writes the same data)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short=10", revision],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    return f"{base}_{commit}"


def run_scenario(checkout, scale, scenario, tag, database):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--scale",
            scale,
            "--soak",
            "0",
            "--only",
            scenario,
            "--tag",
            tag,
        ],
        cwd=checkout,
        check=True,
        env={**os.environ, "BENCH_DATABASE_URL": database},
    )
    result = json.loads(
        (checkout / "bench" / "results" / f"{scale}-{tag}.json").read_text()
    )
    return result["scenarios"][scenario]


def table(revisions, medians, scenarios):
    head = ["scenario"] + [
        f"{label} {revision[:7]}" for label, *_ in FIGURES for revision in revisions
    ]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for scenario in scenarios:
        cells = [scenario]
        for label, *_, form in FIGURES:
            for revision in revisions:
                cells.append(form.format(medians[revision][scenario][label]))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--scale", choices=["small", "large"], default="large")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", help="Comma-separated scenarios (default: all).")
    args = parser.parse_args()
    scenarios = args.only.split(",") if args.only else list(SCENARIOS)
    revisions = [args.before, args.after]
    with tempfile.TemporaryDirectory(prefix="todoapp-compare-") as folder:
        checkouts = {rev: worktree(rev, Path(folder)) for rev in revisions}
        # A database per commit, the same data in each: commits apart by a
        # migration cannot share one.
        databases = {rev: database_of(rev) for rev in revisions}
        try:
            runs = {rev: {name: [] for name in scenarios} for rev in revisions}
            for scenario in scenarios:
                for round_number in range(args.rounds):
                    # Alternate which commit goes first, round by round.
                    order = revisions if round_number % 2 == 0 else revisions[::-1]
                    for rev in order:
                        tag = f"compare-{round_number}"
                        runs[rev][scenario].append(
                            run_scenario(
                                checkouts[rev],
                                args.scale,
                                scenario,
                                tag,
                                databases[rev],
                            )
                        )
        finally:
            for path in checkouts.values():
                subprocess.run(
                    ["git", "worktree", "remove", "--force", str(path)],
                    cwd=BASE_DIR,
                    check=False,
                )
    medians = {
        rev: {
            name: {
                label: statistics.median(run[phase][key] for run in results)
                for label, phase, key, _ in FIGURES
            }
            for name, results in by_scenario.items()
        }
        for rev, by_scenario in runs.items()
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"compare-{args.scale}.json").write_text(
        json.dumps({"revisions": revisions, "runs": runs, "medians": medians}, indent=2)
    )
    print(table(revisions, medians, scenarios))


if __name__ == "__main__":
    main()
