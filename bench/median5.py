#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""median5.py tag|summary ...: the JSON side of bench/median5.sh.

  median5.py tag RUN LOAD     copy `swiotlb bench --json` lines from stdin to
                              stdout with "run" and "load" added to each object
  median5.py summary RAW DATA read RAW (the tagged lines of every run), print
                              the medians and ranges, write DATA for plot.gp

The bench's output is read as JSON, never as text: a member may move, a
string may hold anything, a number may be null (a ratio of nothing measured).
"""
import json
import statistics
import sys


def tag(run, load):
    for line in sys.stdin:
        if not line.strip():
            continue
        obj = json.loads(line)
        out = {"run": int(run), "load": float(load)}
        out.update(obj)
        print(json.dumps(out, separators=(",", ":")))


def num(v):
    """A measured number, or None (JSON null, absent, not a number)."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def fmt(v):
    return "%g" % v


def median(vals):
    return statistics.median(vals)


def minmax(vals):
    return "%s-%s" % (fmt(min(vals)), fmt(max(vals)))


def summary(raw, data):
    results = []
    with open(raw) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    results.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit("%s:%d: not JSON: %s" % (raw, n, e))
    profiles = list(dict.fromkeys(r["profile"] for r in results if "profile" in r))
    # linux and fast first, in that order: the columns bench/plot.gp draws
    seen = list(dict.fromkeys(r.get("policy") for r in results if r.get("policy")))
    policies = [p for p in ("linux", "fast") if p in seen] + [p for p in seen if p not in ("linux", "fast")]

    def of(prof, pol, key):
        return [v for v in (num(r.get(key)) for r in results
                            if r.get("profile") == prof and r.get("policy") == pol) if v is not None]

    print("%-9s %-6s %12s %21s  %s" % ("profile", "policy", "median ns", "min-max", "other (median)"))
    with open(data, "w") as out:
        for prof in profiles:
            line = [prof]
            for pol in policies:
                vals = of(prof, pol, "ns_per_op")
                if not vals:
                    continue
                other = ""
                if prof == "frag90":
                    u, fr = of(prof, pol, "mean_used"), of(prof, pol, "failure_rate")
                    other = "used %s, failure rate %s" % (fmt(median(u)) if u else "?", fmt(median(fr)) if fr else "?")
                elif prof == "threads2":
                    r = of(prof, pol, "ratio_to_one_thread")
                    if r:
                        other = "2 threads / 1: %s (%s)" % (fmt(median(r)), minmax(r))
                print("%-9s %-6s %12s %21s  %s" % (prof, pol, fmt(median(vals)), minmax(vals), other))
                line += [fmt(median(vals)), fmt(min(vals)), fmt(max(vals))]
            out.write(" ".join(line) + "\n")

    def per_run(prof, pol, key):
        return {r["run"]: num(r.get(key)) for r in results
                if r.get("profile") == prof and r.get("policy") == pol and num(r.get(key)) is not None}

    # both policies of one run share its conditions: the robust figure on a shared machine
    for prof in profiles:
        lx, fa = per_run(prof, "linux", "ns_per_op"), per_run(prof, "fast", "ns_per_op")
        ratios = [fa[k] / lx[k] for k in sorted(lx) if k in fa and lx[k] > 0]
        if ratios:
            print("%-9s fast/linux per run: median %.4f (%.4f-%.4f)" % (prof, median(ratios), min(ratios), max(ratios)))
    ns, fl = per_run("steady4k", "fast", "ns_per_op"), per_run("steady4k", "fast", "floor_ns")
    r = [ns[k] / fl[k] for k in sorted(ns) if k in fl and fl[k] > 0]
    if r:
        print("steady4k  fast / memcpy floor per run: median %.3f (%.3f-%.3f)" % (median(r), min(r), max(r)))

    def floor(key):
        vals = [v for v in (num(x.get(key)) for x in results) if v is not None]
        return fmt(median(vals)) if vals else "?"
    print("floors (median): memcpy 4 KiB hot %s ns, malloc+free 4 KiB %s ns, lock round trip %s ns"
          % (floor("floor_ns"), floor("malloc_floor_ns"), floor("lock_floor_ns")))
    loads = {}
    for x in results:
        if "run" in x and num(x.get("load")) is not None:
            loads.setdefault(x["run"], x["load"])
    print("load average at the start of each run: " + " ".join(fmt(loads[k]) for k in sorted(loads)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "tag":
        tag(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
