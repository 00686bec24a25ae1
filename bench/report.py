"""
The benchmark's table: `python -m bench.report`, after bench.run at both
scales. Prints it and writes bench/results/latest.json and latest.md.
"""

import json
import os
import platform
import re
import subprocess
from datetime import UTC, datetime

from bench.run import RESULTS, SCENARIOS


def machine():
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in open("/proc/cpuinfo")
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")
    )
    postgres = subprocess.run(
        ["psql", "--version"], capture_output=True, text=True
    ).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024),
        "python": platform.python_version(),
        # "psql (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> "15.20"
        "postgresql": match.group(1)
        if (match := re.search(r"\(PostgreSQL\) (\S+)", postgres))
        else "?",
    }


def rows(small, large):
    ceiling = large["scenarios"]["ceiling"]["peak"]["rps"]
    for name in SCENARIOS:
        if name not in large["scenarios"]:
            continue
        big = large["scenarios"][name]
        little = small["scenarios"].get(name) if small else None
        ratio = None
        if little and little["moderate"]["p50_ms"]:
            ratio = round(big["moderate"]["p50_ms"] / little["moderate"]["p50_ms"], 2)
        peak, moderate = big["peak"], big["moderate"]
        yield {
            "scenario": name,
            "rps": peak["rps"],
            "of_ceiling": round(peak["rps"] / ceiling, 3),
            "p50_ms": moderate["p50_ms"],
            "p95_ms": moderate["p95_ms"],
            "p99_ms": moderate["p99_ms"],
            "peak_p50_ms": peak["p50_ms"],
            "peak_p99_ms": peak["p99_ms"],
            "moderate_rps": moderate["rps"],
            "queries": peak["queries_per_request"],
            "cpu_ms": peak["cpu_ms_per_request"],
            "server_cpu_ms": peak.get("server_cpu_ms_per_request"),
            "non_2xx": peak["non_2xx"] + moderate["non_2xx"],
            "large_to_small_p50": ratio,
        }


def markdown(table, large, about):
    box = about["machine"]
    lines = [
        f"Run {about['date']} on {box['cpu']}, {box['cores']} cores, "
        f"{box['memory_gib']} GiB, PostgreSQL {box['postgresql']}, "
        f"Python {box['python']}; "
        f"{large['workers']} worker processes; wrk with {large['connections']} "
        "connections over loopback on the same machine.",
        "",
        "Latency at moderate load is measured at about 70% of the scenario's peak "
        "(paced wrk connections); ratio = p50 at 1,000,000 todos / p50 at 10,000. "
        "CPU ms/req: the app's own thread per request; server CPU ms/req: all "
        "the server's processes and threads (HTTP handling included) over the "
        "requests served.",
        "",
        "| scenario | req/s | of ceiling | p50 ms | p95 ms | p99 ms | peak p99 ms "
        "| queries/req | CPU ms/req | server CPU ms/req | non-2xx | large/small p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table:
        ratio = (
            ""
            if row["large_to_small_p50"] is None
            else f"{row['large_to_small_p50']:.2f}"
        )
        server_cpu = (
            "" if row.get("server_cpu_ms") is None else f"{row['server_cpu_ms']:.2f}"
        )
        lines.append(
            f"| {row['scenario']} | {row['rps']:.0f} | {row['of_ceiling']:.0%} "
            f"| {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['peak_p99_ms']:.1f} | {row['queries']:.1f} | {row['cpu_ms']:.2f} "
            f"| {server_cpu} | {row['non_2xx']} | {ratio} |"
        )
    lines.append("")
    lines.append(f"Peak RSS per worker: {large['peak_rss_mib']} MiB.")
    soak = large.get("soak")
    if soak:
        lines.append(
            f"Soak: {soak['seconds']} s of the mix at {soak['rps']:.0f} req/s, "
            "no worker recycling: RSS per worker "
            f"{max(soak['rss_start_mib'])} MiB at the start, "
            f"{max(soak['rss_end_mib'])} MiB at the end ({soak['non_2xx']} non-2xx)."
        )
    return "\n".join(lines) + "\n"


def main():
    small_path, large_path = RESULTS / "small.json", RESULTS / "large.json"
    small = json.loads(small_path.read_text()) if small_path.exists() else None
    large = json.loads(large_path.read_text()) if large_path.exists() else small
    if large is None:
        raise SystemExit("No results: run python -m bench.run first.")
    about = {"date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine()}
    table = list(rows(small if large is not small else None, large))
    report = markdown(table, large, about)
    (RESULTS / "latest.json").write_text(
        json.dumps({**about, "small": small, "large": large, "table": table}, indent=2)
    )
    (RESULTS / "latest.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
