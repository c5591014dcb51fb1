#!/usr/bin/python3
"""Plot a scaling study from the CSV written by collect_timing.py.

usage: plot_scaling.py STUDY.csv [-o OUTDIR] [--prefix NAME] [--mode strong|weak]
                       [--title TEXT] [--markdown TABLE.md]

Writes three PNGs into OUTDIR (default: the CSV's folder):
  NAME_speedup.png     speedup against cores, with the ideal line
  NAME_efficiency.png  parallel efficiency against cores, with the ideal 100 %
  NAME_breakdown.png   per-phase time (mean over ranks), stacked, per run
NAME defaults to the CSV's base name. With --markdown, also a Markdown table.

Definitions (cores = ranks x threads; the baseline is the run with the
fewest cores; repeated runs of one configuration count by their median):
  throughput  = flops / total_max                     (GFLOP/s)
  speedup     = throughput / throughput(baseline)
                strong scaling (same input everywhere): time(baseline) / time;
                weak scaling: the scaled speedup (more work in the same time)
  ideal       = cores / cores(baseline)
  efficiency  = speedup / ideal
--mode only changes titles and labels; it is guessed from the CSV (one input
shape: strong, several: weak).

Runs marked oversubscribed (more cores asked for than the machine had) are
drawn hollow in grey: they show the code runs correctly at that rank count,
not how fast it would be. Needs Debian's python3-matplotlib.
"""
import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover
    sys.stderr.write("plot_scaling: error: matplotlib is missing "
                     "(Debian: apt-get install python3-matplotlib; use /usr/bin/python3)\n")
    sys.exit(3)

STACK = [  # (label, function of a row -> seconds, colour)
    ("read", lambda r: r["read_mean"], "#8c564b"),
    ("project", lambda r: r["project_mean"], "#1f77b4"),
    ("attend (compute)", lambda r: max(r["attend_mean"] - r["ring_wait_mean"], 0.0), "#2ca02c"),
    ("attend (ring wait)", lambda r: r["ring_wait_mean"], "#98df8a"),
    ("combine", lambda r: r["combine_mean"], "#ff7f0e"),
    ("norm", lambda r: r["norm_mean"], "#9467bd"),
    ("write", lambda r: r["write_mean"], "#e377c2"),
    ("other (open, setup, sync)", lambda r: max(r["total_mean"] - sum(
        r[f"{p}_mean"] for p in ("read", "project", "attend", "combine", "norm", "write")), 0.0),
     "#c7c7c7"),
]
INT_COLS = {"ranks", "ph", "ps", "threads", "cores", "B", "T", "C", "H", "G", "D", "causal",
            "bytes_sent_total", "bytes_sent_max"}


def load(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            out = {}
            for k, v in r.items():
                if k in ("study", "file"):
                    out[k] = v
                elif k == "oversubscribed":
                    out[k] = None if v in ("", None) else bool(int(v))
                elif k in INT_COLS:
                    out[k] = int(float(v))
                else:
                    out[k] = float(v)
            rows.append(out)
    return rows


def aggregate(rows):
    """One representative row per (ranks, threads, shape): the median run by total_max."""
    groups = defaultdict(list)
    for r in rows:
        key = (r["ranks"], r["threads"], r["ph"], r["ps"], r["B"], r["T"], r["C"], r["H"],
               r["G"], r["D"], r["causal"])
        groups[key].append(r)
    reps = []
    for key, g in groups.items():
        g.sort(key=lambda r: r["total_max"])
        med = g[(len(g) - 1) // 2]
        rep = dict(med)
        rep["repeats"] = len(g)
        rep["total_median"] = statistics.median(x["total_max"] for x in g)
        reps.append(rep)
    reps.sort(key=lambda r: (r["cores"], r["threads"], r["T"]))
    return reps


def derive(reps):
    base = min(reps, key=lambda r: (r["cores"], r["total_median"]))
    thr0 = base["flops"] / base["total_median"]
    for r in reps:
        r["throughput"] = r["flops"] / r["total_median"]
        r["gflops_med"] = r["throughput"] / 1e9
        r["speedup"] = r["throughput"] / thr0
        r["ideal"] = r["cores"] / base["cores"]
        r["efficiency"] = r["speedup"] / r["ideal"]
    return base


def phys_cores(reps):
    """Largest core count not marked oversubscribed, if the CSV says."""
    known = [r for r in reps if r.get("oversubscribed") is not None]
    if not known:
        return None
    ok = [r["cores"] for r in known if not r["oversubscribed"]]
    return max(ok) if ok else 0


def setup_x(ax, cores):
    lo, hi = min(cores), max(cores)
    if hi / max(lo, 1) >= 8:
        ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(set(cores)))
    ax.set_xticklabels([str(c) for c in sorted(set(cores))])
    ax.set_xlabel("cores (MPI ranks x threads per rank)")
    ax.grid(True, which="major", alpha=0.3)


def series(reps):
    by_threads = defaultdict(list)
    for r in reps:
        by_threads[r["threads"]].append(r)
    return sorted(by_threads.items())


def mark_phys(ax, reps, pc):
    if pc is None or pc >= max(r["cores"] for r in reps):
        return
    ax.axvline(pc, color="grey", ls=":", lw=1)
    ax.axvspan(pc * 1.0001, max(r["cores"] for r in reps) * 1.5, color="grey", alpha=0.08,
               label=f"oversubscribed (> {pc} physical cores): correctness only")


def plot_metric(reps, metric, ideal, ylabel, title, path, pc):
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    cores = [r["cores"] for r in reps]
    xs = sorted(set(cores))
    if metric == "speedup":
        ax.plot(xs, [c / min(xs) for c in xs], "k--", lw=1, label="ideal")
    else:
        ax.plot(xs, [1.0 for _ in xs], "k--", lw=1, label="ideal (100 %)")
    for threads, rs in series(reps):
        rs = sorted(rs, key=lambda r: r["cores"])
        lab = f"{threads} thread{'s' if threads > 1 else ''}/rank"
        line, = ax.plot([r["cores"] for r in rs], [r[metric] for r in rs], "-", lw=1.5,
                        label=lab)
        for r in rs:
            over = bool(r.get("oversubscribed"))
            ax.plot(r["cores"], r[metric], "o", ms=7,
                    mfc="white" if over else line.get_color(),
                    mec="grey" if over else line.get_color())
    mark_phys(ax, reps, pc)
    setup_x(ax, cores)
    if metric == "speedup" and max(xs) / max(min(xs), 1) >= 8:
        ax.set_yscale("log", base=2)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    if metric == "efficiency":
        ax.set_ylim(0, max(1.15, max(r[metric] for r in reps) * 1.1))
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left" if metric == "speedup" else "lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_label(r, mode):
    lab = f"{r['ranks']}x{r['threads']}\n{r['ph']}x{r['ps']}"
    if mode == "weak":
        lab += f"\nT={r['T']}"
    if r.get("oversubscribed"):
        lab += "\n(over)"
    return lab


def plot_breakdown(reps, mode, title, path):
    fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(reps) + 2), 4.8))
    xs = list(range(len(reps)))
    bottom = [0.0] * len(reps)
    for label, fn, colour in STACK:
        vals = [fn(r) for r in reps]
        ax.bar(xs, vals, 0.65, bottom=bottom, label=label, color=colour, edgecolor="white",
               lw=0.5)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.plot(xs, [r["total_median"] for r in reps], "k_", ms=22, mew=2,
            label="total (max over ranks)")
    for x, r in zip(xs, reps):
        if r.get("oversubscribed"):
            ax.bar(x, r["total_median"], 0.65, fill=False, hatch="//", edgecolor="grey", lw=0)
    ax.set_xticks(xs)
    ax.set_xticklabels([run_label(r, mode) for r in reps], fontsize=8)
    ax.set_xlabel("ranks x threads, grid PH x PS")
    ax.set_ylabel("seconds (mean over ranks)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(reps, mode):
    lines = ["| ranks | threads | grid | T | total s (max) | GFLOP/s | speedup | ideal | efficiency | kind |",
             "| ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in reps:
        kind = {None: "", True: "oversubscribed: correctness only", False: "real"}[
            r.get("oversubscribed")]
        lines.append(f"| {r['ranks']} | {r['threads']} | {r['ph']}x{r['ps']} | {r['T']} | "
                     f"{r['total_median']:.3f} | {r['gflops_med']:.2f} | {r['speedup']:.2f} | "
                     f"{r['ideal']:.0f} | {100 * r['efficiency']:.0f} % | {kind} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("-o", "--outdir", default=None)
    ap.add_argument("--prefix", default=None)
    ap.add_argument("--mode", choices=["strong", "weak"], default=None)
    ap.add_argument("--title", default=None)
    ap.add_argument("--markdown", default=None, metavar="PATH")
    args = ap.parse_args(argv)

    try:
        rows = load(args.csv)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_scaling: error: {args.csv}: {e}", file=sys.stderr)
        return 1
    if not rows:
        print(f"plot_scaling: error: {args.csv}: no rows", file=sys.stderr)
        return 1
    reps = aggregate(rows)
    base = derive(reps)
    shapes = {(r["B"], r["T"], r["C"], r["H"], r["G"], r["D"], r["causal"]) for r in reps}
    mode = args.mode or ("strong" if len(shapes) == 1 else "weak")
    outdir = args.outdir or os.path.dirname(os.path.abspath(args.csv))
    os.makedirs(outdir, exist_ok=True)
    prefix = args.prefix or os.path.splitext(os.path.basename(args.csv))[0]
    if args.title:
        title = args.title
    else:
        b = base
        shape = (f"B={b['B']} T={b['T']} C={b['C']} H={b['H']} G={b['G']} D={b['D']}"
                 if mode == "strong" else
                 f"T from {min(r['T'] for r in reps)} to {max(r['T'] for r in reps)}, "
                 f"C={b['C']} H={b['H']} D={b['D']}")
        title = f"attn_hpc {mode} scaling: {shape}{' causal' if b['causal'] else ''}"
    pc = phys_cores(reps)
    paths = {k: os.path.join(outdir, f"{prefix}_{k}.png")
             for k in ("speedup", "efficiency", "breakdown")}
    ylab = "speedup (time at baseline / time)" if mode == "strong" else \
        "scaled speedup (throughput / baseline throughput)"
    plot_metric(reps, "speedup", True, ylab, title, paths["speedup"], pc)
    plot_metric(reps, "efficiency", True, "parallel efficiency", title, paths["efficiency"], pc)
    plot_breakdown(reps, mode, title, paths["breakdown"])
    table = markdown(reps, mode)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    sys.stdout.write(table)
    for p in paths.values():
        print(f"plot_scaling: wrote {p}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
