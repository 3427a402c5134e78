"""Plot one night for every system: CGM, reference, thresholds and onsets.

The night is chosen the same way for every set (pick_night: a typical urgent
low, with 6 hours before it and 4 after); one panel per system, shared axes.
PNG under build/alarm_plots/ (`make bench SECTION=alarms` writes both sets).
"""
import os

from . import score, traces

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "build", "alarm_plots")
NIGHT = 600
MARKS = {"urgent_low": ("v", "red"), "urgent_low_soon": ("v", "darkorange"), "low": ("v", "gold")}


def pick_night(trs):
    """(trace, start minute) of a typical urgent low: among every urgent event
    of the set, the one whose reference fell at the median speed over the 30
    minutes before it began (neither the easiest nor the hardest to foresee);
    the window runs from 6 hours before it to 4 hours after."""
    cases = []
    for tr in trs:
        ref = tr.reference()
        at = dict(ref)
        for start, _ in score.events(ref, score.URGENT):
            before = at.get(start - 30)
            if before is not None and start - 360 >= ref[0][0]:
                cases.append(((before - at[start]) / 30.0, tr.name, start, tr))
    if not cases:
        raise traces.TraceError("no urgent event with 6 hours of data before it")
    cases.sort(key=lambda c: c[:3])
    _, _, start, tr = cases[len(cases) // 2]
    return tr, start - 360


def plot_nights(directory, onsets_by_system, set_name):
    """Write one PNG with a panel per system; return its path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trs = traces.load_dir(directory)
    tr, start = pick_night(trs)
    end = start + NIGHT
    systems = list(onsets_by_system)
    fig, axes = plt.subplots(len(systems), 1, sharex=True, figsize=(11, 2.2 * len(systems) + 0.6))
    axes = axes if len(systems) > 1 else [axes]
    cgm = [(m, v) for m, v in tr.readings() if start <= m < end]
    ref = [(m, v) for m, v in tr.reference() if start <= m < end]
    for ax, system in zip(axes, systems):
        ax.plot([(m - start) / 60 for m, _ in cgm], [v for _, v in cgm], ".-", ms=3, lw=0.8,
                color="steelblue", label="CGM")
        if ref != cgm:
            ax.plot([(m - start) / 60 for m, _ in ref], [v for _, v in ref], "-", lw=1,
                    color="gray", label="reference")
        for y, style in ((score.LOW, "--"), (score.URGENT, ":")):
            ax.axhline(y, color="crimson", ls=style, lw=0.8)
        for o in onsets_by_system[system].get(tr.name, []):
            if start <= o["t"] < end:
                marker, color = MARKS.get(o["type"], ("^", "purple"))
                ax.plot((o["t"] - start) / 60, 45 if o["type"] in MARKS else 250, marker,
                        color=color, ms=9)
                ax.annotate(o["type"], ((o["t"] - start) / 60, 45 if o["type"] in MARKS else 250),
                            fontsize=6, rotation=30, xytext=(3, 6), textcoords="offset points")
        ax.set_ylabel(system)
        ax.set_ylim(35, max([300] + [v + 20 for _, v in cgm + ref]))
    axes[0].set_title("%s: %s, minutes %d-%d (onsets marked)" % (set_name, tr.name, start, end))
    axes[0].legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("hours")
    fig.tight_layout()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "%s_night.png" % set_name)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return [path]
