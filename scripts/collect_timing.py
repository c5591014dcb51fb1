#!/usr/bin/python3
"""Collect attn_hpc timing reports (JSON, `attn_hpc --timing PATH`) into one CSV.

usage: collect_timing.py [-o OUT.csv] [--cores N] [--study NAME] PATH [PATH ...]

Each PATH is a timing report or a folder searched recursively for *.json
files that look like attn_hpc timing reports (other JSON files are skipped
with a note). One CSV row per report, sorted by (T, ranks, threads, file):

  study, file, ranks, ph, ps, threads, cores, oversubscribed,
  B, T, C, H, G, D, causal, flops, gflops,
  <phase>_min, <phase>_mean, <phase>_max   for read project attend ring_wait
                                          combine norm write total
  bytes_sent_total, bytes_sent_max

cores = ranks * threads (the cores the run asks for). With --cores N (the
number of physical cores the runs actually had), oversubscribed is 1 where
cores > N, else 0; without it the column is empty.

Exit status: 0 ok, 1 no valid report found, 2 usage error.
Needs only the Python standard library.
"""
import argparse
import csv
import json
import os
import sys

PHASES = ["read", "project", "attend", "ring_wait", "combine", "norm", "write", "total"]
SHAPE = ["B", "T", "C", "H", "G", "D"]
COLUMNS = (["study", "file", "ranks", "ph", "ps", "threads", "cores", "oversubscribed"]
           + SHAPE + ["causal", "flops", "gflops"]
           + [f"{p}_{s}" for p in PHASES for s in ("min", "mean", "max")]
           + ["bytes_sent_total", "bytes_sent_max"])


def find_reports(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(".json"):
                        yield os.path.join(root, f)
        elif os.path.exists(p):
            yield p
        else:
            print(f"collect_timing: warning: {p}: no such file or folder", file=sys.stderr)


def row_of(path, study, phys_cores):
    with open(path) as f:
        rep = json.load(f)
    if not isinstance(rep, dict) or rep.get("software") != "attn_hpc" or "phases" not in rep:
        raise ValueError("not an attn_hpc timing report")
    ranks = int(rep["ranks"])
    grid = rep.get("grid") or [1, ranks]
    threads = int(rep.get("threads", 1))
    shape = rep["shape"]
    row = {
        "study": study,
        "file": path,
        "ranks": ranks,
        "ph": int(grid[0]),
        "ps": int(grid[1]),
        "threads": threads,
        "cores": ranks * threads,
        "oversubscribed": "" if phys_cores is None else int(ranks * threads > phys_cores),
        "causal": int(rep.get("causal", 0)),
        "flops": float(rep["flops"]),
    }
    for k in SHAPE:
        row[k] = int(shape[k])
    for p in PHASES:
        ph = rep["phases"].get(p)
        if ph is None:
            raise ValueError(f"phase '{p}' missing")
        for s in ("min", "mean", "max"):
            row[f"{p}_{s}"] = float(ph[s])
    tmax = row["total_max"]
    row["gflops"] = float(rep["gflops"]) if "gflops" in rep else (
        row["flops"] / tmax / 1e9 if tmax > 0 else 0.0)
    sent = [int(b) for b in rep.get("bytes_sent", [])]
    row["bytes_sent_total"] = sum(sent)
    row["bytes_sent_max"] = max(sent) if sent else 0
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH", help="timing report or folder")
    ap.add_argument("-o", "--output", default="-", help="CSV to write (default stdout)")
    ap.add_argument("--cores", type=int, default=None,
                    help="physical cores the runs had; fills the oversubscribed column")
    ap.add_argument("--study", default="", help="value of the study column (e.g. strong, weak)")
    args = ap.parse_args(argv)

    rows = []
    for path in find_reports(args.paths):
        try:
            rows.append(row_of(path, args.study, args.cores))
        except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
            print(f"collect_timing: skipping {path}: {e}", file=sys.stderr)
    if not rows:
        print("collect_timing: error: no timing reports found", file=sys.stderr)
        return 1
    rows.sort(key=lambda r: (r["T"], r["ranks"], r["threads"], r["file"]))

    out = sys.stdout if args.output == "-" else open(args.output + ".tmp", "w", newline="")
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    if out is not sys.stdout:
        out.close()
        os.replace(args.output + ".tmp", args.output)
        print(f"collect_timing: {len(rows)} report(s) -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
