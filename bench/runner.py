#!/usr/bin/env python3
"""waot benchmark runner (invoked by bench/run.sh; python3 standard library only).

Full mode: for every workload in bench/workloads/, build it natively (gcc -O2 /
rustc -C opt-level=3) and with `waot build`, run native, `wasmtime run` and the
waot executable several times (interleaved), take medians, and write a table
(stdout + bench/RESULTS.md) and a bar chart (bench/results.svg).  Also measures
compile time/throughput of waot vs `wasmtime compile` on the largest modules,
hello-world start-up time, executable sizes and peak RSS.

Smoke mode (--smoke): every workload once at its smoke size (argument `1`),
native and waot (and wasmtime when present), checking `ok`; prints
"N passed, M failed" last and exits non-zero on any failure.
"""
import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WORKLOADS = os.path.join(BENCH, "workloads")
OUT = os.path.join(BENCH, "out")
HELLO_WAT = os.path.join(ROOT, "examples", "hello", "hello.wat")
HELLO_C = os.path.join(BENCH, "startup", "hello.c")
HELLO_TEXT = "Hello from waot!\n"

ENGINES = ("native", "wasmtime", "waot")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- discovery

class Workload:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(WORKLOADS, name)
        c = os.path.join(self.dir, name + ".c")
        rs = os.path.join(self.dir, "main.rs")
        if os.path.exists(c):
            self.lang, self.src = "C", c
        elif os.path.exists(rs):
            self.lang, self.src = "Rust", rs
        else:
            raise SystemExit(f"runner: workload {name}: no {name}.c or main.rs")
        # A workload written in the text format (e.g. GC code, which no C or
        # Rust toolchain here emits) is run as NAME.wat: waot and wasmtime
        # both read text modules.
        wat = os.path.join(self.dir, name + ".wat")
        self.wasm = wat if os.path.exists(wat) else os.path.join(self.dir, name + ".wasm")
        # What the report's "lang" column says: the module's source language.
        self.label = "WAT (GC)" if self.wasm == wat else self.lang
        self.native = os.path.join(OUT, "native", name)
        self.waot = os.path.join(OUT, "waot", name)
        self.cwasm = os.path.join(OUT, "wasmtime", name + ".cwasm")


def workloads(only):
    names = sorted(d for d in os.listdir(WORKLOADS) if os.path.isdir(os.path.join(WORKLOADS, d)))
    if only:
        want = set(only.split(","))
        unknown = want - set(names)
        if unknown:
            raise SystemExit(f"runner: unknown workloads: {', '.join(sorted(unknown))}")
        names = [n for n in names if n in want]
    return [Workload(n) for n in names]


def find_wasmtime(explicit):
    if explicit:
        return explicit
    w = shutil.which("wasmtime")
    if not w:
        cand = os.path.expanduser("~/.cargo/bin/wasmtime")
        if os.access(cand, os.X_OK):
            w = cand
    return w


def find_waot():
    w = os.environ.get("WAOT") or os.path.join(ROOT, "target", "release", "waot")
    return w if os.access(w, os.X_OK) else None


# ---------------------------------------------------------------- processes

class Run:
    def __init__(self, wall, rss_kb, rc, stdout, stderr):
        self.wall, self.rss_kb, self.rc, self.stdout, self.stderr = wall, rss_kb, rc, stdout, stderr

    def ok_line(self):
        lines = self.stdout.strip().splitlines()
        last = lines[-1] if lines else ""
        return last if self.rc == 0 and last.startswith("ok") else None

    def describe(self):
        lines = (self.stdout.strip().splitlines() or [""])
        tail = (self.stderr.strip().splitlines() or [""])[-1]
        return f"exit {self.rc}: {lines[-1][:200]!r}" + (f" stderr: {tail[:200]!r}" if tail else "")


RSS_HELPER = None


def rss_helper():
    """Builds bench/startup/rss.c (static if possible) into out/; see that file for why."""
    global RSS_HELPER
    if RSS_HELPER is None:
        exe = os.path.join(OUT, "rss")
        src = os.path.join(BENCH, "startup", "rss.c")
        os.makedirs(OUT, exist_ok=True)
        rc, out = sh(["gcc", "-O2", "-static", "-o", exe, src])
        if rc != 0:
            rc, out = sh(["gcc", "-O2", "-o", exe, src])
        if rc != 0:
            raise SystemExit("runner: cannot build " + src + ":\n" + out)
        RSS_HELPER = exe
    return RSS_HELPER


def run_timed(cmd, cwd, timeout):
    """Runs cmd under the rss helper; returns Run with wall time (s) and peak RSS (KiB)."""
    helper = rss_helper()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as rssf:
        killed = []

        def kill():
            killed.append(1)
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass

        t0 = time.perf_counter()
        p = subprocess.Popen([helper, rssf.name] + cmd, cwd=cwd, stdout=out, stderr=err,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            p.wait()
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        try:
            rss = int(rssf.read().strip() or 0)
        except ValueError:
            rss = 0
        out.seek(0)
        err.seek(0)
        return Run(wall, rss, p.returncode, out.read().decode(errors="replace"),
                   "timeout" if killed else err.read().decode(errors="replace"))


def sh(cmd, cwd=None):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode, r.stdout


def version(cmd):
    try:
        rc, out = sh(cmd)
        return out.strip().splitlines()[0] if rc == 0 and out.strip() else "?"
    except OSError:
        return "missing"


# ---------------------------------------------------------------- builds

def build_native(w):
    os.makedirs(os.path.dirname(w.native), exist_ok=True)
    if w.lang == "C":
        cmd = ["gcc", "-O2", "-o", w.native, w.src, "-lm"]
    else:
        cmd = ["rustc", "--edition", "2021", "-C", "opt-level=3", "-o", w.native, w.src]
    rc, out = sh(cmd)
    return (rc == 0), out, cmd


def build_waot(waot, wasm, exe):
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    if os.path.exists(exe):
        os.unlink(exe)
    cmd = [waot, "build", wasm, "-o", exe]
    t0 = time.perf_counter()
    rc, out = sh(cmd)
    dt = time.perf_counter() - t0
    return (rc == 0 and os.path.exists(exe)), out, dt


def compile_waot_object(waot, wasm, obj):
    """`waot compile`: the native object alone, what `wasmtime compile` makes."""
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    cmd = [waot, "compile", wasm, "-o", obj]
    t0 = time.perf_counter()
    rc, out = sh(cmd)
    dt = time.perf_counter() - t0
    return rc == 0, out, dt


def compile_wasmtime(wasmtime, wasm, cwasm):
    os.makedirs(os.path.dirname(cwasm), exist_ok=True)
    cmd = [wasmtime, "compile", wasm, "-o", cwasm]
    t0 = time.perf_counter()
    rc, out = sh(cmd)
    dt = time.perf_counter() - t0
    return rc == 0, out, dt


def engine_cmd(engine, w, wasmtime, args):
    if engine == "native":
        return [w.native] + args
    if engine == "waot":
        return [w.waot] + args
    return [wasmtime, "run", "--dir", ".", w.wasm] + args


# ---------------------------------------------------------------- smoke

def smoke(ws, waot, wasmtime, native_only):
    passed = failed = 0
    os.makedirs(OUT, exist_ok=True)
    if not waot and not native_only:
        log("runner: no waot executable (target/release/waot; build it with "
            "`cargo build --release` or set WAOT=...); waot runs count as failures "
            "(use --native-only to skip them)")
    for w in ws:
        results = []
        checks = {}

        def record(engine, good, detail):
            nonlocal passed, failed
            if good:
                passed += 1
            else:
                failed += 1
            results.append(f"{engine}: {'ok' if good else 'FAIL'}{(' ' + detail) if detail else ''}")

        ok, out, cmd = build_native(w)
        if not ok:
            record("native", False, "build failed: " + " ".join(cmd) + "\n" + out)
        else:
            r = run_timed(engine_cmd("native", w, None, ["1"]), OUT, 120)
            line = r.ok_line()
            checks["native"] = line
            record("native", line is not None, f"{r.wall * 1000:.0f} ms" if line else r.describe())
        if not native_only:
            if not waot:
                record("waot", False, "no waot executable")
            else:
                ok, out, dt = build_waot(waot, w.wasm, w.waot)
                if not ok:
                    record("waot", False, "waot build failed: " + out.strip()[-400:])
                else:
                    r = run_timed(engine_cmd("waot", w, None, ["1"]), OUT, 120)
                    line = r.ok_line()
                    checks["waot"] = line
                    if line and checks.get("native") and line != checks["native"]:
                        record("waot", False, f"checksum {line!r} != native {checks['native']!r}")
                    else:
                        record("waot", line is not None,
                               f"{r.wall * 1000:.0f} ms (build {dt:.2f} s)" if line else r.describe())
        if wasmtime:
            r = run_timed(engine_cmd("wasmtime", w, wasmtime, ["1"]), OUT, 120)
            line = r.ok_line()
            if line and checks.get("native") and line != checks["native"]:
                record("wasmtime", False, f"checksum {line!r} != native {checks['native']!r}")
            else:
                record("wasmtime", line is not None, f"{r.wall * 1000:.0f} ms" if line else r.describe())
        print(f"{w.name:<13} " + "; ".join(results), flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ---------------------------------------------------------------- full mode

def median(xs):
    return statistics.median(xs) if xs else None


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def hyperfine_startup(cmds, runs):
    """Returns {label: median seconds} using hyperfine -N, or None."""
    if not shutil.which("hyperfine"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        cmd = ["hyperfine", "-N", "--warmup", "5", "--runs", str(runs), "--export-json", path,
               "--style", "none"]
        for label, c in cmds:
            cmd += ["-n", label, " ".join(c)]
        rc, out = sh(cmd, cwd=OUT)
        if rc != 0:
            log("runner: hyperfine failed, falling back to own timing loop:\n" + out[-1000:])
            return None
        data = json.load(open(path))
        return {r["command"]: r["median"] for r in data["results"]}
    finally:
        os.unlink(path)


def full(ws, waot, wasmtime, opts):
    os.makedirs(OUT, exist_ok=True)
    engines = ["native"]
    if wasmtime:
        engines.append("wasmtime")
    else:
        log("runner: wasmtime not found (bench/setup.sh installs it); wasmtime columns will be n/a")
    if waot:
        engines.append("waot")
    else:
        log("runner: target/release/waot not found (cargo build --release); waot columns will be n/a")

    rows = {}
    problems = []
    for w in ws:
        row = rows[w.name] = {"w": w, "times": {}, "rss": {}, "out": {}, "fail": {}, "size": {}}
        log(f"== {w.name}: build")
        ok, out, cmd = build_native(w)
        active = []
        if ok:
            active.append("native")
            row["size"]["native"] = os.path.getsize(w.native)
        else:
            row["fail"]["native"] = "build failed"
            problems.append(f"{w.name}: native build failed: {out.strip()[-300:]}")
        if "wasmtime" in engines:
            active.append("wasmtime")
        if "waot" in engines:
            ok, out, dt = build_waot(waot, w.wasm, w.waot)
            row["waot_compile"] = dt
            if ok:
                active.append("waot")
                row["size"]["waot"] = os.path.getsize(w.waot)
            else:
                row["fail"]["waot"] = "build failed"
                problems.append(f"{w.name}: waot build failed: {out.strip()[-300:]}")
        row["size"]["wasm"] = os.path.getsize(w.wasm)
        for i in range(opts.warmup + opts.runs):
            for e in active:
                if e in row["fail"]:
                    continue
                r = run_timed(engine_cmd(e, w, wasmtime, []), OUT, opts.timeout)
                line = r.ok_line()
                if line is None:
                    row["fail"][e] = r.describe()
                    problems.append(f"{w.name}: {e}: {r.describe()}")
                    continue
                if row["out"].setdefault(e, line) != line:
                    row["fail"][e] = f"output changed between runs: {line!r}"
                    problems.append(f"{w.name}: {e}: output changed between runs")
                    continue
                if i >= opts.warmup:
                    row["times"].setdefault(e, []).append(r.wall)
                    row["rss"].setdefault(e, []).append(r.rss_kb)
        outs = {e: o for e, o in row["out"].items() if e not in row["fail"]}
        if len(set(outs.values())) > 1:
            problems.append(f"{w.name}: engines disagree: {outs}")
            row["mismatch"] = True
        med = {e: median(t) for e, t in row["times"].items() if e not in row["fail"]}
        row["med"] = med
        log(f"   " + "  ".join(f"{e} {med[e]:.3f}s" for e in med) + f"   {next(iter(outs.values()), '')}")

    # compile time on the largest modules
    compile_rows = []
    largest = sorted(ws, key=lambda w: os.path.getsize(w.wasm), reverse=True)[:3]
    for w in largest:
        size = os.path.getsize(w.wasm)
        cr = {"name": w.name, "size": size}
        if waot:
            ts, objs = [], []
            for _ in range(5):
                ok, out, dt = build_waot(waot, w.wasm, w.waot)
                if ok:
                    ts.append(dt)
                ok, out, dt = compile_waot_object(waot, w.wasm, w.waot + ".o")
                if ok:
                    objs.append(dt)
            cr["waot"] = median(ts)
            cr["waot_obj"] = median(objs)
        if wasmtime:
            ts = []
            for _ in range(5):
                ok, out, dt = compile_wasmtime(wasmtime, w.wasm, w.cwasm)
                if ok:
                    ts.append(dt)
            cr["wasmtime"] = median(ts)
            if os.path.exists(w.cwasm):
                cr["cwasm_size"] = os.path.getsize(w.cwasm)
        compile_rows.append(cr)

    startup = hello_startup(waot, wasmtime, opts, problems)
    return rows, compile_rows, startup, problems, engines


def hello_startup(waot, wasmtime, opts, problems):
    d = os.path.join(OUT, "hello")
    os.makedirs(d, exist_ok=True)
    res = {"sizes": {}}
    cmds = []
    native = os.path.join(d, "hello-native")
    rc, out = sh(["gcc", "-O2", "-o", native, HELLO_C])
    if rc == 0:
        cmds.append(("native C (gcc -O2)", [native]))
        res["sizes"]["native C (gcc -O2)"] = os.path.getsize(native)
    hello_wasm = os.path.join(d, "hello.wasm")
    have_wasm = False
    if shutil.which("wat2wasm"):
        rc, out = sh(["wat2wasm", HELLO_WAT, "-o", hello_wasm])
        have_wasm = rc == 0
    if waot:
        exe = os.path.join(d, "hello-waot")
        ok, out, dt = build_waot(waot, HELLO_WAT, exe)
        if ok:
            cmds.append(("waot executable", [exe]))
            res["sizes"]["waot executable"] = os.path.getsize(exe)
        else:
            problems.append("hello: waot build failed: " + out.strip()[-300:])
    if wasmtime and have_wasm:
        cmds.append(("wasmtime run hello.wasm", [wasmtime, "run", hello_wasm]))
    # check outputs once
    good = []
    for label, c in cmds:
        r = run_timed(c, OUT, 30)
        if r.rc == 0 and r.stdout == HELLO_TEXT:
            good.append((label, c))
        else:
            problems.append(f"hello: {label}: {r.describe()}")
    times = hyperfine_startup(good, opts.startup_runs) if good else {}
    if times is None:
        times = {}
        for label, c in good:
            ts = [run_timed(c, OUT, 30).wall for _ in range(opts.startup_runs)]
            times[label] = median(ts)
        res["method"] = f"own loop (python fork/exec), median of {opts.startup_runs}"
    else:
        res["method"] = f"hyperfine -N, 5 warm-up runs, median of {opts.startup_runs}"
    res["times"] = times
    return res


# ---------------------------------------------------------------- reporting

def fmt_s(x):
    return "n/a" if x is None else f"{x:.3f}"


def fmt_r(x):
    return "n/a" if x is None else f"{x:.2f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def report(rows, compile_rows, startup, problems, engines, opts):
    lines = []
    P = lines.append
    P("# waot benchmark results")
    P("")
    model = "?"
    rc, out = sh(["lscpu"])
    for l in out.splitlines():
        if l.startswith("Model name:"):
            model = l.split(":", 1)[1].strip()
    rc, rev = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    rc2, dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    rev = rev.strip() + ("+dirty" if dirty.strip() else "") if rc == 0 else "?"
    P(f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    P(f"- machine: {model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}")
    P(f"- gcc: {version(['gcc', '--version'])}")
    P(f"- rustc: {version(['rustc', '--version'])}")
    wt = engines and "wasmtime" in engines
    P(f"- wasmtime: {version([opts.wasmtime_path, '--version']) if wt else 'not found'}")
    P(f"- waot: git {rev}" + ("" if "waot" in engines else " (no target/release/waot: not measured)"))
    P(f"- method: each workload at its default size, {opts.runs} timed runs per engine"
      f" (+{opts.warmup} warm-up), engines interleaved, median wall time; peak RSS via wait4 (bench/startup/rss.c)."
      " native = gcc -O2 (C) / rustc -C opt-level=3 (Rust); wasmtime = `wasmtime run --dir . X.wasm`"
      " (includes its JIT compile); waot = executable from `waot build X.wasm`.")
    P("")
    P("## Run time (seconds, median) and ratios")
    P("")
    P("| workload | lang | native | wasmtime | waot | waot/native | waot/wasmtime | wasmtime/native | checksum |")
    P("|---|---|---:|---:|---:|---:|---:|---:|---|")
    g = {"wn": [], "ww": [], "tn": []}
    for name, r in rows.items():
        m = r["med"]
        n, t, a = m.get("native"), m.get("wasmtime"), m.get("waot")
        wn, ww, tn = ratio(a, n), ratio(a, t), ratio(t, n)
        r["ratios"] = (wn, ww, tn)
        for k, v in zip(("wn", "ww", "tn"), (wn, ww, tn)):
            if v:
                g[k].append(v)
        cells = []
        for e, v in (("native", n), ("wasmtime", t), ("waot", a)):
            cells.append("**FAIL**" if e in r["fail"] else fmt_s(v))
        chk = next(iter(r["out"].values()), "")
        if r.get("mismatch"):
            chk = "**MISMATCH** " + "; ".join(f"{e}: {o}" for e, o in r["out"].items())
        P(f"| {name} | {r['w'].label} | " + " | ".join(cells) +
          f" | {fmt_r(wn)} | {fmt_r(ww)} | {fmt_r(tn)} | `{chk[3:]}` |")
    gm = {k: geomean(v) for k, v in g.items()}
    P(f"| **geometric mean** | | | | | **{fmt_r(gm['wn'])}** | **{fmt_r(gm['ww'])}** | **{fmt_r(gm['tn'])}** | |")
    P("")
    P("Ratios above 1 mean the first engine is slower.")
    P("")
    P("## Peak memory (RSS, MiB, max over runs) and sizes")
    P("")
    P("| workload | RSS native | RSS wasmtime | RSS waot | .wasm KiB | native exe KiB | waot exe KiB |")
    P("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        rss = [(f"{max(r['rss'][e]) / 1024:.1f}" if r["rss"].get(e) else "n/a") for e in ENGINES]
        sz = [(f"{r['size'][k] / 1024:.1f}" if k in r["size"] else "n/a") for k in ("wasm", "native", "waot")]
        P(f"| {name} | " + " | ".join(rss + sz) + " |")
    P("")
    P("## Compile time on the largest modules (median of 5)")
    P("")
    P("| module | .wasm KiB | waot compile s | waot MB/s | wasmtime compile s | wasmtime MB/s"
      " | waot compile/wasmtime | waot build s | waot build/wasmtime |")
    P("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in compile_rows:
        mb = c["size"] / 1e6
        wo, wa, wt_ = c.get("waot_obj"), c.get("waot"), c.get("wasmtime")
        P(f"| {c['name']} | {c['size'] / 1024:.1f} | {fmt_s(wo)} | {fmt_r(mb / wo) if wo else 'n/a'} | "
          f"{fmt_s(wt_)} | {fmt_r(mb / wt_) if wt_ else 'n/a'} | {fmt_r(ratio(wo, wt_))} | "
          f"{fmt_s(wa)} | {fmt_r(ratio(wa, wt_))} |")
    P("")
    P("`waot compile` writes the native object, as `wasmtime compile` writes a .cwasm (both"
      " compile functions in parallel on all cores); `waot build` also links the executable.")
    P("")
    P("## Hello-world start-up")
    P("")
    P(f"Method: {startup.get('method', 'n/a')}.")
    P("")
    P("| program | start-up ms | executable KiB |")
    P("|---|---:|---:|")
    for label in ("native C (gcc -O2)", "wasmtime run hello.wasm", "waot executable"):
        t = startup["times"].get(label)
        s = startup["sizes"].get(label)
        P(f"| {label} | {'n/a' if t is None else f'{t * 1000:.2f}'} | {'n/a' if s is None else f'{s / 1024:.1f}'} |")
    P("")
    if problems:
        P("## Problems")
        P("")
        for p in problems:
            P(f"- {p}")
        P("")
    P("Chart: [results.svg](results.svg).  Regenerate with `bench/run.sh`.")
    return "\n".join(lines) + "\n", gm


def svg_chart(rows, gm, path):
    """Horizontal grouped bars of waot/native and wasmtime/native on a log axis."""
    items = [(n, r["ratios"]) for n, r in rows.items()]
    items.append(("geometric mean", (gm["wn"], gm["ww"], gm["tn"])))
    series = [("waot / native", 0, "#d9480f"), ("wasmtime / native", 2, "#1c7ed6")]
    vals = [v for _, rt in items for _, i, _ in series for v in [rt[i]] if v]
    lo = min([0.5] + vals)
    hi = max([4.0] + vals)
    lo = 2 ** math.floor(math.log2(lo))
    hi = 2 ** math.ceil(math.log2(hi))
    left, right, top, bar, gap = 150, 40, 70, 11, 10
    plot_w = 560
    group_h = bar * len(series) + gap
    height = top + group_h * len(items) + 60
    width = left + plot_w + right

    def x(v):
        return left + plot_w * (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">'
         'Run time relative to native (lower is better, log scale)</text>']
    # legend
    lx = left
    for label, _, color in series:
        o.append(f'<rect x="{lx}" y="36" width="12" height="12" fill="{color}"/>')
        o.append(f'<text x="{lx + 16}" y="46">{label}</text>')
        lx += 150
    # grid
    v = lo
    while v <= hi * 1.0001:
        xx = x(v)
        o.append(f'<line x1="{xx:.1f}" y1="{top - 6}" x2="{xx:.1f}" y2="{height - 45}" '
                 f'stroke="{"#333" if v == 1 else "#ddd"}" stroke-width="{1.5 if v == 1 else 1}"/>')
        label = f"{v:g}×"
        o.append(f'<text x="{xx:.1f}" y="{height - 30}" text-anchor="middle" fill="#555">{label}</text>')
        v *= 2
    y = top
    for name, rt in items:
        bold = ' font-weight="bold"' if name == "geometric mean" else ""
        if name == "geometric mean":
            o.append(f'<line x1="{left - 140}" y1="{y - gap / 2:.1f}" x2="{left + plot_w}" y2="{y - gap / 2:.1f}" '
                     'stroke="#999" stroke-dasharray="4 3"/>')
        o.append(f'<text x="{left - 8}" y="{y + bar * len(series) / 2:.1f}" text-anchor="end" '
                 f'dominant-baseline="middle"{bold}>{name}</text>')
        for k, (label, i, color) in enumerate(series):
            val = rt[i]
            yy = y + k * bar
            if val:
                x0, x1 = x(1.0), x(val)
                o.append(f'<rect x="{min(x0, x1):.1f}" y="{yy}" width="{max(abs(x1 - x0), 1):.1f}" '
                         f'height="{bar - 1}" fill="{color}"><title>{name}: {label} = {val:.2f}</title></rect>')
                o.append(f'<text x="{max(x0, x1) + 3:.1f}" y="{yy + bar - 2}" font-size="10" fill="#333">'
                         f'{val:.2f}</text>')
            else:
                o.append(f'<text x="{x(1.0) + 3:.1f}" y="{yy + bar - 2}" font-size="10" fill="#999">n/a</text>')
        y += group_h
    o.append(f'<text x="{left + plot_w / 2}" y="{height - 10}" text-anchor="middle" fill="#555">'
             'slower than native →  (bars start at 1×)</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


# ---------------------------------------------------------------- ablation

# (name, extra `waot build` arguments, what the variant changes).  Each turns
# one optimization off (or, for cpu-native, the ISA extensions beyond the
# portable baseline on) relative to the default build.
ABLATION_VARIANTS = [
    ("default", [], "the default build"),
    ("O0", ["-O", "0"], "Cranelift optimizer off (`-O 0`)"),
    ("cpu-native", ["--cpu", "native"], "every ISA extension of this CPU (`--cpu native`)"),
    ("no-inline", ["-C", "inline=n"], "no inlining of small functions"),
    ("no-readonly-vmctx", ["-C", "readonly-vmctx=n"],
     "VM-context loads not marked readonly/can_move (no hoisting or deduplication)"),
    ("bounds-checks", ["-C", "bounds-checks=y"],
     "explicit bounds check on every 32-bit memory access instead of guard pages"),
    ("serial", ["-C", "parallel=n"], "functions compiled on one core (compile time only)"),
]
ABLATION_DEFAULT_ONLY = "regex,interp,sha256,json,binarytrees,structsort"


def waot_variant(waot, wasm, out, extra, compile_only):
    """`waot build` (or `compile` to an object) with extra arguments; returns (ok, output, seconds)."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.exists(out):
        os.unlink(out)
    cmd = [waot, "compile" if compile_only else "build", wasm, "-o", out] + extra
    t0 = time.perf_counter()
    rc, text = sh(cmd)
    dt = time.perf_counter() - t0
    return (rc == 0 and os.path.exists(out)), text, dt


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def ablation(ws, waot, opts):
    """Builds every workload once per variant and runs the variants interleaved."""
    variants = ABLATION_VARIANTS
    if opts.variants:
        want = opts.variants.split(",")
        unknown = set(want) - {v[0] for v in variants}
        if unknown:
            raise SystemExit(f"runner: unknown variants: {', '.join(sorted(unknown))}")
        variants = [v for v in variants if v[0] == "default" or v[0] in want]
    rows, problems = {}, []
    for w in ws:
        row = rows[w.name] = {"times": {}, "compile": {}, "same": set(), "fail": {}}
        log(f"== {w.name}: build {len(variants)} variants")
        exes = {}
        for name, extra, _ in variants:
            exe = os.path.join(OUT, "ablation", name, w.name)
            ok, text, _ = waot_variant(waot, w.wasm, exe, extra, False)
            if not ok:
                row["fail"][name] = "build failed"
                problems.append(f"{w.name}: {name}: waot build failed: {text.strip()[-300:]}")
                continue
            exes[name] = exe
            # Compile time of the compiler alone (object file, no link); at
            # least 5 times, since one compile of these modules is ~0.1 s.
            obj = os.path.join(OUT, "ablation", name, w.name + ".o")
            ts = []
            for _ in range(max(opts.runs, 5)):
                ok, text, dt = waot_variant(waot, w.wasm, obj, extra, True)
                if ok:
                    ts.append(dt)
            row["compile"][name] = median(ts)
        # A variant whose executable is byte-identical to the default one
        # (e.g. serial compilation) runs the same code: not timed again.
        for name in list(exes):
            if name != "default" and "default" in exes and same_file(exes[name], exes["default"]):
                row["same"].add(name)
        timed = [n for n in exes if n not in row["same"]]
        expected = None
        for i in range(opts.warmup + opts.runs):
            for name in timed:
                if name in row["fail"]:
                    continue
                r = run_timed([exes[name]], OUT, opts.timeout)
                line = r.ok_line()
                if line is None or (expected is not None and line != expected):
                    row["fail"][name] = r.describe() if line is None else f"output {line!r} != {expected!r}"
                    problems.append(f"{w.name}: {name}: {row['fail'][name]}")
                    continue
                expected = expected or line
                if i >= opts.warmup:
                    row["times"].setdefault(name, []).append(r.wall)
        row["med"] = {n: median(t) for n, t in row["times"].items() if n not in row["fail"]}
        for n in row["same"]:
            row["med"][n] = row["med"].get("default")
        log("   " + "  ".join(f"{n} {fmt_s(t)}s" for n, t in row["med"].items()))
    return variants, rows, problems


def ablation_report(variants, rows, problems, opts):
    lines = []
    P = lines.append
    model = "?"
    rc, out = sh(["lscpu"])
    for l in out.splitlines():
        if l.startswith("Model name:"):
            model = l.split(":", 1)[1].strip()
    rc, rev = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    rc2, dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
    rev = rev.strip() + ("+dirty" if dirty.strip() else "") if rc == 0 else "?"
    names = [v[0] for v in variants]
    P("# waot optimization ablation")
    P("")
    P(f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}")
    P(f"- machine: {model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}")
    P(f"- waot: git {rev}")
    P("- load average at the end (1, 5, 15 min): " + " ".join(f"{x:.1f}" for x in os.getloadavg())
      + " (ratios are only meaningful on an otherwise idle machine)")
    P(f"- method: `bench/run.sh --ablation`: each workload built once per variant, {opts.runs} timed runs"
      f" per variant (+{opts.warmup} warm-up), variants interleaved, median wall time; compile time is"
      f" `waot compile` (object only), median of {max(opts.runs, 5)}. A ratio above 1 means the variant is slower"
      " than the default, i.e. what it turns off is worth that much.")
    P("")
    P("| variant | what changes |")
    P("|---|---|")
    for name, extra, what in variants:
        P(f"| {name} | {what}" + (f" (`{' '.join(extra)}`)" if extra and "`" not in what else "") + " |")
    P("")
    P("## Run time (seconds, median; ratio vs default)")
    P("")
    P("| workload | " + " | ".join(names) + " |")
    P("|---|" + "---:|" * len(names))
    logs = {n: [] for n in names}
    for wname, r in rows.items():
        base = r["med"].get("default")
        cells = []
        for n in names:
            t = r["med"].get(n)
            if n in r["fail"]:
                cells.append("**FAIL**")
            elif t is None:
                cells.append("n/a")
            elif n == "default":
                cells.append(fmt_s(t))
            else:
                q = ratio(t, base)
                if q:
                    logs[n].append(q)
                cells.append(f"{fmt_s(t)} ({fmt_r(q)})" + (" =" if n in r["same"] else ""))
        P(f"| {wname} | " + " | ".join(cells) + " |")
    P("| **geometric mean ratio** | 1.00 | " +
      " | ".join(f"**{fmt_r(geomean(logs[n]))}**" for n in names[1:]) + " |")
    P("")
    P("`=`: the executable is byte-identical to the default one, so it was not timed again.")
    P("")
    P("## Compile time (`waot compile`, seconds, median; ratio vs default)")
    P("")
    P("| workload | " + " | ".join(names) + " |")
    P("|---|" + "---:|" * len(names))
    clogs = {n: [] for n in names}
    for wname, r in rows.items():
        base = r["compile"].get("default")
        cells = []
        for n in names:
            t = r["compile"].get(n)
            if n == "default" or t is None:
                cells.append(fmt_s(t))
            else:
                q = ratio(t, base)
                if q:
                    clogs[n].append(q)
                cells.append(f"{fmt_s(t)} ({fmt_r(q)})")
        P(f"| {wname} | " + " | ".join(cells) + " |")
    P("| **geometric mean ratio** | 1.00 | " +
      " | ".join(f"**{fmt_r(geomean(clogs[n]))}**" for n in names[1:]) + " |")
    P("")
    if problems:
        P("## Problems")
        P("")
        for p in problems:
            P(f"- {p}")
        P("")
    P("Regenerate with `bench/run.sh --ablation` (see bench/README.md).")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="run each workload once at smoke size and check it")
    ap.add_argument("--native-only", action="store_true", help="smoke: skip waot (compiler not built yet)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per engine (default 5)")
    ap.add_argument("--warmup", type=int, default=0, help="untimed runs first (default 0)")
    ap.add_argument("--startup-runs", type=int, default=100, help="hello-world runs (default 100)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per run (default 300)")
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--no-wasmtime", action="store_true", help="do not use wasmtime")
    ap.add_argument("--wasmtime", help="path to wasmtime (default: PATH, then ~/.cargo/bin)")
    ap.add_argument("--results", default=os.path.join(BENCH, "RESULTS.md"), help="Markdown output")
    ap.add_argument("--svg", default=os.path.join(BENCH, "results.svg"), help="chart output")
    ap.add_argument("--ablation", action="store_true",
                    help="build each workload with each optimization off in turn, run the variants "
                         "interleaved and write a table (bench/ABLATION.md); default workloads: "
                         + ABLATION_DEFAULT_ONLY)
    ap.add_argument("--variants", help="ablation: comma-separated variants to compare with the default ("
                    + ", ".join(v[0] for v in ABLATION_VARIANTS[1:]) + "; default all)")
    ap.add_argument("--ablation-results", default=os.path.join(BENCH, "ABLATION.md"),
                    help="ablation: Markdown output")
    opts = ap.parse_args()
    if opts.ablation and not opts.only:
        opts.only = ABLATION_DEFAULT_ONLY

    ws = workloads(opts.only)
    wasmtime = None if opts.no_wasmtime else find_wasmtime(opts.wasmtime)
    opts.wasmtime_path = wasmtime
    waot = find_waot()
    if opts.smoke:
        sys.exit(smoke(ws, waot, wasmtime, opts.native_only))
    if opts.ablation:
        if not waot:
            raise SystemExit("runner: --ablation needs target/release/waot (or WAOT=...)")
        variants, rows, problems = ablation(ws, waot, opts)
        md = ablation_report(variants, rows, problems, opts)
        print(md)
        with open(opts.ablation_results, "w") as f:
            f.write(md)
        log(f"runner: wrote {os.path.relpath(opts.ablation_results)}")
        sys.exit(1 if problems else 0)

    rows, compile_rows, startup, problems, engines = full(ws, waot, wasmtime, opts)
    md, gm = report(rows, compile_rows, startup, problems, engines, opts)
    print(md)
    with open(opts.results, "w") as f:
        f.write(md)
    svg_chart(rows, gm, opts.svg)
    log(f"runner: wrote {os.path.relpath(opts.results)} and {os.path.relpath(opts.svg)}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
