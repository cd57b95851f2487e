"""The class report's figures, drawn with matplotlib as inline SVG.

Text stays text (svg.fonttype none), so the page is small and searchable; mathtext is
off, so a `$` in a label is only a dollar sign; matplotlib escapes what it writes
into the SVG. Each figure gets its own id salt, so ids never clash on one page. Figures are
drawn WIDTH inches wide and the page scales them to its width (at most 960 px), so their
text reads at 16-18 px on a laptop screen and shrinks with a narrow window.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

WIDTH = 10.0  # inches
PASS, FAIL, NEUTRAL, LIMIT = "#2e7d32", "#c62828", "#4c72b0", "#6a1b9a"
STYLE = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 11, "axes.spines.top": False,
         "axes.spines.right": False, "axes.titlesize": 12, "figure.dpi": 100, "font.family": "sans-serif"}


def _svg(figure, name: str) -> str:
    with matplotlib.rc_context({"svg.hashsalt": name}):
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    svg = text[text.index("<svg"):]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{name}" class="figure" ', 1)


def _log_scale(axes, which: str) -> None:
    """A log axis labelled 10, 100, 1000 (its default labels are mathtext, which is off)."""
    getattr(axes, f"set_{which}scale")("log")
    axis = getattr(axes, f"{which}axis")
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _figure(width: float, height: float):
    with matplotlib.rc_context(STYLE):
        return plt.subplots(figsize=(width, height))


def score_histogram(totals: list[float], max_total: float) -> str:
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 3.6)
        bins = [max_total * i / 20 for i in range(21)] if max_total > 0 else 10
        axes.hist(totals, bins=bins, color=NEUTRAL, edgecolor="white")
        axes.set_xlabel(f"total points (of {max_total:g})")
        axes.set_ylabel("submitters")
        axes.yaxis.get_major_locator().set_params(integer=True)
        return _svg(figure, "score distribution")


def points_per_part(parts: list[str], fractions: list[list[float]], maxima: list[float]) -> str:
    """One column of dots (each submission's share of the part's points) and its mean, per part."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 3.6)
        for index, values in enumerate(fractions):
            if not values:
                continue
            spread = [index + 0.25 * ((k * 0.618) % 1 - 0.5) for k in range(len(values))]
            axes.scatter(spread, [100 * v for v in values], s=28, color=NEUTRAL, alpha=0.6, linewidths=0)
            mean = 100 * sum(values) / len(values)
            axes.plot([index - 0.3, index + 0.3], [mean, mean], color="black", linewidth=1.5)
        axes.set_xticks(range(len(parts)), [f"{part}\n({top:g} pts)" for part, top in zip(parts, maxima)])
        axes.set_ylabel("% of the part's points")
        axes.set_ylim(-5, 105)
        return _svg(figure, "points per part")


def pass_rates(numbers: list[str], rates: list[float], parts: list[str]) -> str:
    """One bar per test, by test number, coloured by part (the table below the figure names the tests)."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(max(WIDTH, 0.2 * len(numbers) + 1), 3.6)
        palette = {part: plt.get_cmap("tab10")(i % 10) for i, part in enumerate(dict.fromkeys(parts))}
        axes.bar(range(len(numbers)), [100 * r for r in rates], color=[palette[p] for p in parts], width=0.75)
        axes.set_xticks(range(len(numbers)), numbers, rotation=90, fontsize=10)
        axes.set_xlim(-0.7, len(numbers) - 0.3)
        axes.set_ylim(0, 100)
        axes.set_ylabel("% passing")
        handles = [Patch(color=color, label=part) for part, color in palette.items()]
        axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.14), ncol=len(handles), fontsize=10, frameon=False)
        return _svg(figure, "pass rate of every test")


def perplexities(values: list[float], threshold: float) -> str:
    """Each submission's test perplexity on a log axis, coloured by whether it reaches the threshold."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 2.4)
        shown = sorted(values)
        spread = [((k * 0.618) % 1 - 0.5) * 0.6 for k in range(len(shown))]
        axes.scatter(shown, spread, s=40, c=[PASS if v <= threshold else FAIL for v in shown], alpha=0.75, linewidths=0)
        axes.axvline(threshold, color="black", linestyle="--", linewidth=1)
        axes.annotate(f"threshold {threshold:g}", (threshold, 0.42), xytext=(4, 0), textcoords="offset points", fontsize=10)
        if shown and min(shown) > 0 and max(shown) / min(shown) > 8:
            _log_scale(axes, "x")
        low, high = min(shown + [threshold]), max(shown + [threshold])
        axes.set_xlim(low / 1.15, high * 1.15)
        axes.set_ylim(-0.5, 0.55)
        axes.set_yticks([])
        axes.spines["left"].set_visible(False)
        axes.set_xlabel("test perplexity (lower is better)")
        return _svg(figure, "test perplexity against the threshold")


def mistakes(labels: list[str], counts: list[int]) -> str:
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 0.8 + 0.32 * len(labels))
        positions = list(range(len(labels)))[::-1]
        axes.barh(positions, counts, color=FAIL, height=0.7)
        axes.set_yticks(positions, labels)
        axes.set_xlabel("submissions")
        axes.xaxis.get_major_locator().set_params(integer=True)
        for position, count in zip(positions, counts):
            axes.annotate(str(count), (count, position), xytext=(3, 0), textcoords="offset points", va="center", fontsize=10)
        return _svg(figure, "diagnosed mistakes")


def time_and_memory(cpu: list[float], memory: list[float], hit_limit: list[bool], memory_limit: float) -> str:
    """Each submission's CPU-seconds in children against its largest child's peak memory."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 3.6)
        axes.scatter(cpu, memory, s=40, c=[LIMIT if hit else NEUTRAL for hit in hit_limit], alpha=0.75, linewidths=0)
        axes.axhline(memory_limit, color=LIMIT, linestyle="--", linewidth=1)
        axes.annotate(f"memory limit {memory_limit:g} MB", (0, memory_limit), xytext=(2, 3), textcoords="offset points",
                      fontsize=10, xycoords=("axes fraction", "data"))
        axes.set_xlabel("CPU-seconds used by the children (all parts)")
        axes.set_ylabel("peak child memory (MB)")
        axes.set_ylim(0, max(memory + [memory_limit]) * 1.12)
        axes.set_xlim(0, max(cpu + [1.0]) * 1.08)
        return _svg(figure, "grading time and memory")


def similarity_histogram(values: list[float], threshold: float) -> str:
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure(WIDTH, 2.8)
        axes.hist(values, bins=[i / 40 for i in range(41)], color=NEUTRAL, edgecolor="white")
        axes.axvline(threshold, color=FAIL, linestyle="--", linewidth=1)
        axes.annotate(f"shown from {threshold:g}", (threshold, 1), xytext=(4, -12), textcoords="offset points",
                      xycoords=("data", "axes fraction"), fontsize=10)
        axes.set_xlim(0, 1)
        axes.set_xlabel("similarity of own code (Jaccard of token 6-grams)")
        axes.set_ylabel("pairs")
        if len(values) > 50:
            _log_scale(axes, "y")
        return _svg(figure, "similarity of every pair")
