"""The machine a benchmark ran on, as a Markdown paragraph for docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from importlib import metadata


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            kib = int(handle.readline().split()[1])
        return kib / 2**20
    except (OSError, ValueError, IndexError):
        return float("nan")


def describe_machine() -> str:
    versions = []
    for package in ("numpy", "scipy", "duckdb", "pandas", "pyarrow", "mesa"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"Machine: {cpu_model()}, {os.cpu_count()} cores, {memory_gib():.0f} GiB RAM; "
            f"Python {platform.python_version()}; {', '.join(versions)}; "
            f"run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; load average {load} (1/5/15 min) "
            "when it was described.")
