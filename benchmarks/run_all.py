"""Run every benchmark, then gather their sections into docs/benchmarks.md.

Each benchmark writes its own docs/bench_*.md section (so one can be rerun alone); this script runs
them in turn and joins the sections in a fixed order.

    python benchmarks/run_all.py [--only record tagging simulator]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
DOCS = HERE.parent / "docs"
BENCHMARKS = {
    "record": "bench_record.py",
    "tagging": "bench_tagging.py",
    "simulator": "bench_simulator.py",
    "calibration": "bench_calibration.py",
    "sweep": "bench_sweep.py",
}


def gather() -> Path:
    """Join the sections that exist into docs/benchmarks.md."""
    sections = [DOCS / f"bench_{name}.md" for name in BENCHMARKS]
    body = "\n".join(path.read_text() for path in sections if path.exists())
    out = DOCS / "benchmarks.md"
    out.write_text("# Benchmarks\n\nSpeed and memory against named baselines measured in the same run. "
                   "Rerun with `make bench` (all) or `python benchmarks/bench_<name>.py` (one), then "
                   "`python benchmarks/run_all.py --gather`.\n\n" + body)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    parser.add_argument("--gather", action="store_true", help="Only join the existing sections.")
    args = parser.parse_args()
    if not args.gather:
        for name in args.only:
            subprocess.run([sys.executable, str(HERE / BENCHMARKS[name])], check=True)
    print(gather())


if __name__ == "__main__":
    main()
