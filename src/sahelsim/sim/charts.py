"""Charts of a run, drawn from its summary alone (so they work for runs whose rows were not kept).

`write_charts` writes `outcomes.png` (distributions of the main outcomes), `layers.png` (sorties
defeated by each defensive layer, and leakers), `convergence.png` (interval half-width against
replications) and `outcomes.html` (interactive, Plotly; `plotly.min.js` beside it so it works offline).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
from plotly.subplots import make_subplots  # noqa: E402

OUTCOMES = ("leakers", "assets_damaged", "casualties", "defender_losses")


def _distribution(summary: dict, name: str) -> list[int]:
    return summary["distributions"].get(name, {}).get("counts", [0])


def _layers(summary: dict) -> dict[str, float]:
    layers = dict(summary["defeats_by_layer"])
    layers["leakers (delivered)"] = summary["means"]["leakers"]["mean"]
    return layers


def _assault(summary: dict) -> dict[str, float]:
    """Share of each way the ground assault ended, by name ("no assault", "overrun", …)."""
    shares = summary["outcome_classes"]["assault_outcome"]
    return {name.replace("_", " "): share["p"] for name, share in shares.items()}


def _png(summary: dict, title: str, out: Path) -> list[Path]:
    figure, axes = plt.subplots(2, 3, figsize=(13, 7))
    for axis, name in zip(axes.flat, OUTCOMES, strict=False):
        counts = _distribution(summary, name)
        axis.bar(range(len(counts)), [c / max(sum(counts), 1) for c in counts], color="#4c72b0")
        axis.set_title(name.replace("_", " "))
        axis.set_ylabel("share of replications")
    assault = _assault(summary)
    axes.flat[4].bar(list(assault), list(assault.values()), color="#c44e52")
    axes.flat[4].set_title("ground assault outcome")
    axes.flat[5].axis("off")
    figure.suptitle(title)
    figure.tight_layout()
    outcomes = out / "outcomes.png"
    figure.savefig(outcomes, dpi=100)
    plt.close(figure)

    layers = _layers(summary)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.barh(list(layers), list(layers.values()), color="#55a868")
    axis.set_xlabel("sorties per replication (mean)")
    axis.set_title(f"{title}: defeats by layer")
    figure.tight_layout()
    layer_path = out / "layers.png"
    figure.savefig(layer_path, dpi=100)
    plt.close(figure)

    convergence = summary["convergence"]
    figure, axis = plt.subplots(figsize=(7, 4))
    runs = [point["runs"] for point in convergence]
    for key in convergence[0]:
        if key.endswith("halfwidth"):
            axis.plot(runs, [point[key] for point in convergence], marker=".", label=key)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("replications")
    axis.set_ylabel("95% half-width")
    axis.legend(fontsize=7)
    figure.tight_layout()
    convergence_path = out / "convergence.png"
    figure.savefig(convergence_path, dpi=100)
    plt.close(figure)
    return [outcomes, layer_path, convergence_path]


def _html(summary: dict, title: str, out: Path) -> Path:
    figure = make_subplots(rows=2, cols=3, subplot_titles=[
        *(name.replace("_", " ") for name in OUTCOMES), "ground assault outcome", "defeats by layer"])
    for i, name in enumerate(OUTCOMES):
        counts = _distribution(summary, name)
        figure.add_trace(go.Bar(x=list(range(len(counts))),
                                y=[c / max(sum(counts), 1) for c in counts], name=name),
                         row=i // 3 + 1, col=i % 3 + 1)
    assault = _assault(summary)
    figure.add_trace(go.Bar(x=list(assault), y=list(assault.values()), name="assault"), row=2, col=2)
    layers = _layers(summary)
    figure.add_trace(go.Bar(y=list(layers), x=list(layers.values()), orientation="h", name="layers"),
                     row=2, col=3)
    figure.update_layout(title=title, showlegend=False, height=700)
    path = out / "outcomes.html"
    figure.write_html(path, include_plotlyjs="directory")
    return path


def write_charts(summary: dict, out: Path, title: str) -> list[Path]:
    """Write the PNG and HTML charts of a run into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [*_png(summary, title, out), _html(summary, title, out)]
