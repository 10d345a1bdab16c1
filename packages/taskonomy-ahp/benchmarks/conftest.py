"""Print each benchmark group's ratios to its baseline (the test named `..._baseline_...`)."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    benchmarks = getattr(session, "benchmarks", None) or []
    groups: dict[str, dict[str, float]] = {}
    for bench in benchmarks:
        stats = getattr(bench, "stats", None)
        if stats is not None:
            groups.setdefault(bench.group or "", {})[bench.name] = stats.min
    lines = []
    for group, times in sorted(groups.items()):
        baseline = [t for name, t in times.items() if "baseline" in name]
        if not baseline:
            continue
        for name, t in sorted(times.items()):
            if "baseline" not in name:
                lines.append(f"{group}: {name} is {baseline[0] / t:.1f}x faster than the baseline")
    for bench in benchmarks:
        for key, value in sorted(getattr(bench, "extra_info", {}).items()):
            lines.append(f"{bench.name}: {key} = {value}")
    if lines:
        terminalreporter.section("ratios (min time, same run)")
        for line in lines:
            terminalreporter.write_line(line)
