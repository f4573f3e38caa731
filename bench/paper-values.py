#!/usr/bin/env python3
"""Derives src/main/resources/dev/isola/bench/paper-values.csv from the paper's artifact repository.

The figures of Moebius et al. (arXiv:2403.00515) are plotted from the CSV files of
github.com/OpenFogStack/unikernel-edge-faas (commit 5ee53e9); every number the paper's text states is
the mean of one of those files (checked below by hand, see docs/bench-report.md). So the values a figure
shows are recomputed here from the same files, rather than read off a PDF by eye.

Usage: bench/paper-values.py <checkout of unikernel-edge-faas> > src/main/resources/dev/isola/bench/paper-values.csv
"""
import csv
import statistics
import sys
from collections import defaultdict

ROOT = sys.argv[1].rstrip("/") + "/experiments/"
BACKEND = {"docker": "runc", "gvisor": "runsc", "linux": "microvm", "nanos": "nanos", "osv": "osv",
           "runc": "runc", "runsc": "runsc"}
ORDER = ["microvm", "nanos", "osv", "runc", "runsc"]
ART = "artifact mean"

# Numbers the paper's text states, keyed (experiment, backend, runtime, variant, x, metric); quoted in the note.
TEXT = {
    ("cold-start", "nanos", "go", "", "", "completion_ms"): "text: around 110ms",
    ("cold-start", "osv", "go", "", "", "completion_ms"): "text: around 110ms",
    ("cold-start", "runsc", "go", "", "", "completion_ms"): "text: around 656ms",
    ("burst", "nanos", "go", "", "100", "mean_ms"): "text: around 700ms",
    ("burst", "osv", "go", "", "100", "mean_ms"): "text: 630ms",
    ("burst", "microvm", "go", "", "100", "mean_ms"): "text: around 4.3s",
    ("burst", "runc", "go", "", "100", "mean_ms"): "text: around 6.5s",
    ("burst", "runsc", "go", "", "100", "mean_ms"): "text: around 7.5s",
    ("burst", "nanos", "node", "", "100", "mean_ms"): "text: 3.6s",
    ("burst", "osv", "node", "", "100", "mean_ms"): "text: 3.6s",
    ("burst", "microvm", "node", "", "100", "mean_ms"): "text: 5.9s",
    ("burst", "runc", "node", "", "100", "mean_ms"): "text: around 6.4s",
    ("burst", "runsc", "node", "", "100", "mean_ms"): "text: 16.7s",
    ("start-cost", "microvm", "go", "instructions", "", "instructions_millions"):
        "text: 8.5x nanos and 6x osv",
    ("start-cost", "runsc", "go", "instructions", "", "instructions_millions"): "text: 61% fewer than microvm",
    ("idle-cpu", "runsc", "go", "", "", "instructions_millions"): "text: 50k",
    ("idle-cpu", "microvm", "go", "", "", "instructions_millions"): "text: 80k",
    ("idle-cpu", "nanos", "go", "", "", "instructions_millions"): "text: around 250k",
    ("idle-cpu", "osv", "go", "", "", "instructions_millions"): "text: more than 9 million",
    ("memory", "microvm", "go", "alloc", "", "duration_ms"): "text: 40ms on average",
    ("memory", "osv", "go", "alloc", "", "duration_ms"): "text: 40ms on average",
    ("memory", "runsc", "go", "alloc", "", "duration_ms"): "text: 40ms on average",
    ("memory", "nanos", "go", "alloc", "", "duration_ms"): "text: 1.4 times longer than 40ms",
    ("memory", "runc", "go", "alloc", "", "duration_ms"): "text: more than twice as fast",
    ("network-concurrency", "osv", "go", "direct", "32", "requests_per_s"): "text: maximum of 44,793",
    ("network-concurrency", "microvm", "go", "direct", "16", "requests_per_s"): "text: maximum of 24,621",
    ("network-throughput", "nanos", "go", "", "", "throughput_mib_s"): "text: 271MiB/s",
    ("network-throughput", "runsc", "go", "", "", "throughput_mib_s"): "text: around 180MiB/s",
    ("network-throughput", "microvm", "go", "", "", "throughput_mib_s"): "text: 1.2 times osv",
    ("disk", "runc", "go", "", "", "duration_ms"): "text: 87ms on average",
    ("disk", "microvm", "go", "", "", "duration_ms"): "text: a mean 123ms",
    ("disk", "nanos", "go", "", "", "duration_ms"): "text: around 199ms",
    ("disk", "osv", "go", "", "", "duration_ms"): "text: around 181ms",
    ("disk", "runsc", "go", "", "", "duration_ms"): "text: around 1.3 times microvm",
}

rows = []


def emit(figure, experiment, backend, runtime, variant, x, metric, value, unit, source, digits):
    key = (experiment, backend, runtime, variant, x, metric)
    note = source + ("; " + TEXT[key] if key in TEXT else "")
    rows.append([figure, experiment, backend, runtime, variant, x, metric, f"{value:.{digits}f}", unit, note])


def means(path, keys, column, keep=lambda r: True, scale=1.0):
    groups = defaultdict(list)
    with open(ROOT + path) as f:
        for r in csv.DictReader(f):
            if keep(r):
                groups[tuple(r[k] for k in keys)].append(float(r[column]) * scale)
    return {k: statistics.mean(v) for k, v in groups.items()}


def by_order(table, runtime_first=True):
    return sorted(table.items(), key=lambda kv: (kv[0][1] if runtime_first and len(kv[0]) > 1 else "",
                                                 ORDER.index(BACKEND[kv[0][0]]),
                                                 float(kv[0][2]) if len(kv[0]) > 2 else 0))


for (t, lang), v in by_order(means("cold_start/cold-start.csv", ["target", "language"], "time", scale=1000)):
    emit(3, "cold-start", BACKEND[t], lang, "", "", "completion_ms", v, "ms", ART + " cold_start/cold-start.csv", 1)
for (t, lang, n), v in by_order(means("burst/time.csv", ["target", "language", "instances"], "time", scale=1000)):
    emit(4, "burst", BACKEND[t], lang, "", n, "mean_ms", v, "ms", ART + " burst/time.csv", 1)
for (t, lang), v in by_order(means("startup/startup-instructions.csv", ["target", "language"], "instructions",
                                   keep=lambda r: r["cached"] == "0", scale=1e-6)):
    emit(5, "start-cost", BACKEND[t], lang, "instructions", "", "instructions_millions", v, "millions",
         ART + " startup/startup-instructions.csv (page cache evicted)", 1)
for (t, lang), v in by_order(means("idle_instructions/instructions.csv", ["target", "language"], "instructions",
                                   keep=lambda r: r["target"] != "runc", scale=1e-6)):
    emit(6, "idle-cpu", BACKEND[t], lang, "", "", "instructions_millions", v, "millions",
         ART + " idle_instructions/instructions.csv (runc not measurable: no row)", 3)
for (t, lang, n), v in by_order(means("idle_mem/memory.csv", ["target", "language", "instances"], "memory")):
    emit(7, "idle-memory", BACKEND[t], lang, "", n, "mem_used_mib", v, "MiB", ART + " idle_mem/memory.csv (n=1)", 0)
first = lambda r: r["attempt"] == "first"
for (t,), v in by_order(means("cpu/fib.csv", ["target"], "time", keep=first, scale=1000)):
    emit(8, "cpu", BACKEND[t], "go", "", "", "duration_ms", v, "ms", ART + " cpu/fib.csv first attempt, end to end", 1)
for (t,), v in by_order(means("cpu/matrix.csv", ["target"], "time", keep=first)):
    emit(9, "memory", BACKEND[t], "go", "matrix", "", "duration_ms", v, "ms",
         ART + " cpu/matrix.csv first attempt, in-function time; equals the bar labels of figure 9", 1)
for (t,), v in by_order(means("alloc/alloc.csv", ["target"], "time", keep=first, scale=1000)):
    emit(10, "memory", BACKEND[t], "go", "alloc", "", "duration_ms", v, "ms", ART + " alloc/alloc.csv first attempt", 1)
for t in ORDER:
    src = {"microvm": "linux"}.get(t, t)
    with open(ROOT + f"network/data/{src}-simple") as f:
        for i, line in enumerate(l for l in f if l.strip()):
            emit(11, "network-concurrency", t, "go", "direct", str(2 ** i), "requests_per_s", float(line), "req/s",
                 f"artifact value network/data/{src}-simple (series ends where hey reported errors)", 1)
# plot-file.py hard-codes bytes per second; the figure divides by 2^20.
for t, bps in [("microvm", 3689922812), ("nanos", 284737759), ("osv", 2990204116), ("runc", 3130290637),
               ("runsc", 189676236)]:
    emit(12, "network-throughput", t, "go", "", "", "throughput_mib_s", bps / 2 ** 20, "MiB/s",
         "constant in network/plot-file.py", 1)
for (t,), v in by_order(means("read/read.csv", ["target"], "time", keep=first, scale=1000)):
    emit(13, "disk", BACKEND[t], "go", "", "", "duration_ms", v, "ms", ART + " read/read.csv first attempt", 1)
# Per-instance idle memory: stated only in the text (the figure shows totals).
for backend, runtime, value in [("runc", "go", 3.9), ("runsc", "go", 24.7), ("nanos", "node", 160.8)]:
    emit(7, "idle-memory", backend, runtime, "", "", "mem_per_instance_mib", value, "MiB", "paper text", 1)

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["figure", "experiment", "backend", "runtime", "variant", "x", "metric", "value", "unit", "note"])
out.writerows(rows)
