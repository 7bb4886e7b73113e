#!/usr/bin/python3
"""vmcorefs benchmarks: measures, prints a table and writes bench/results.md. Asserts nothing.

`make bench` runs the `speed` section (about 8-10 minutes on 2 cores): in every round, under two conditions,
the page cache (dd/fio of the image itself), bindfs -o ro, the C peers of vmcorefs's read design on libfuse 2
(bench/peer/splicefs.c) and libfuse 3 (bench/peer/splicefs3.c), vmcorefs (its default adapter, libfuse 3,
direct_io) and vmcorefs --page-cache, over one 2 GiB raw image in the page cache:
  - first sequential read of a fresh mount: dd bs=1M of the whole file;
  - random 4 KiB p50 (fio psync) with 1 and 4 readers, on the same mount;
  - vmcorefs --page-cache: the second (and third) whole read of the same mount;
  - mount time and peak RSS of a 1 GiB and a 1 TiB synthetic machine (before and after reading 1 GiB).
Conditions: "pinned" puts every server and its reader on CPU 0 (taskset -c 0); "unpinned" leaves them to the
scheduler. On a virtual machine an idle vCPU's wake-up dominates a FUSE round trip, so the two differ a lot,
and only the same condition compares. The systems' order turns by one every round; each ratio is taken
within a round, and the table shows the median over the rounds (after one shorter warm-up round). The
machine's load average is printed after every round and written to the header: figures taken while other
work runs are noisy in absolute terms, their ratios less so.

  make bench
  bench/bench.py --rounds 5 --only speed,seq,random,mount,memory,saved,jmh   (the other sections: more)
  (sections other than speed alone go to bench/results-SECTIONS.md; --out FILE chooses)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOME = Path(__file__).resolve().parent.parent
LAUNCHER = HOME / "bin" / "vmcorefs"
WORK = Path(os.environ.get("VMCOREFS_BENCH_DIR", "/var/tmp/vmcorefs-bench"))
GIB = 1 << 30
# On this VM an idle vCPU's wake-up dominates a FUSE round trip: "pinned" runs put the server and its reader
# on one CPU (taskset -c 0 for both), "unpinned" leaves them to the scheduler.
PIN = ["taskset", "-c", "0"]


def sh(*cmd, check=True, capture=True, timeout=600):
    r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, cmd))} failed ({r.returncode}): {r.stderr}")
    return r


def mounted(path):
    target = str(Path(path).resolve())
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == target for line in f)


class Mount:
    """A vmcorefs or bindfs mount that is always unmounted, by fusermount if need be."""

    def __init__(self, kind, *args, pin=False):
        """kind: "vmcorefs", "bindfs" or the path of a C peer (splicefs, splicefs3); pin: server on CPU 0."""
        self.kind, self.args = kind, [str(a) for a in args]
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{Path(kind).name}-", dir=WORK))
        self.seconds = None
        self.pin = PIN if pin else []

    def __enter__(self):
        t0 = time.perf_counter()
        if self.kind == "vmcorefs":
            sh(*self.pin, LAUNCHER, "mount", *self.args, self.dir)
        else:
            if self.kind == "bindfs":
                sh(*self.pin, "bindfs", *self.args, self.dir)
            else:  # a C peer: its file, the mount point, then FUSE options
                sh(*self.pin, self.kind, self.args[0], self.dir, *self.args[1:])
            while not mounted(self.dir):
                time.sleep(0.001)
        self.seconds = time.perf_counter() - t0
        return self

    def pid(self):
        stats = json.loads((self.dir / ".vmcorefs" / "stats.json").read_text())
        return stats["mount"]["pid"]

    def stats(self):
        return json.loads((self.dir / ".vmcorefs" / "stats.json").read_text())

    def __exit__(self, *exc):
        if self.kind == "vmcorefs":
            sh(LAUNCHER, "unmount", self.dir, check=False)
        if mounted(self.dir):
            sh("fusermount3" if shutil.which("fusermount3") else "fusermount", "-u", "-z", self.dir, check=False)
        if not mounted(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)


def dd_rate(path, bs="1M", pin=False):
    """Bytes per second of `dd` reading the whole file (on CPU 0 if pin)."""
    r = sh(*(PIN if pin else []), "dd", f"if={path}", "of=/dev/null", f"bs={bs}")
    # "N bytes (4.3 GB, 4.0 GiB) copied, 1.61873 s, 2.7 GB/s": bytes first, seconds second to last.
    last = r.stderr.strip().splitlines()[-1]
    size = int(last.split()[0])
    secs = float(last.split(",")[-2].split()[0])
    return size / secs


def median(xs):
    return statistics.median(xs)


def gbs(x):
    return f"{x / 1e9:.2f} GB/s"


class Table:
    def __init__(self):
        self.rows = []
        self.speeds = []

    def add(self, section, what, value, peer_name, peer, ratio, target=""):
        self.rows.append((section, what, value, peer_name, peer, ratio, target))
        print(f"  {what}: {value}  vs {peer_name}: {peer}  ratio {ratio}  {target}", flush=True)

    def speed(self, cond, figure, system, value, ratios, target=""):
        self.speeds.append((cond, figure, system, value, ratios, target))
        print(f"  {cond}, {figure}: {system}: {value}  ({ratios})  {target}", flush=True)

    def markdown(self, header):
        out = [header, ""]
        if self.speeds:
            out += ["| condition | figure | system | median | ratios (median of the rounds' ratios) | target |",
                    "|---|---|---|---|---|---|"]
            out += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.speeds]
            out.append("")
        if self.rows:
            out += ["| part | figure | vmcorefs | peer | peer's figure | ratio | target |",
                    "|---|---|---|---|---|---|---|"]
            out += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.rows]
        return "\n".join(out) + "\n"


def raw_image():
    img = WORK / "raw4g.img"
    if not img.exists() or img.stat().st_size != 4 * GIB:
        print("bench: writing a 4 GiB raw image of random bytes", flush=True)
        chunk = os.urandom(64 << 20)
        with open(img, "wb") as f:
            for _ in range(64):
                f.write(chunk)
    sh("dd", f"if={img}", "of=/dev/null", "bs=4M")  # into the page cache
    src = WORK / "bindfs-src"
    src.mkdir(exist_ok=True)
    link = src / "raw4g.img"
    if not link.exists():
        os.link(img, link)
    return img, src


def splicefs():
    """bench/peer/splicefs.c built here: vmcorefs's read design (read_buf naming the image's descriptor,
    splice, direct_io, one thread) in C on the same libfuse 2, to show what Java and the model cost."""
    exe = WORK / "splicefs"
    src = HOME / "bench" / "peer" / "splicefs.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        flags = sh("pkg-config", "--cflags", "--libs", "fuse").stdout.split()
        sh("gcc", "-O2", "-Wall", "-o", exe, src, *flags)
    return exe


def splicefs3():
    """bench/peer/splicefs3.c built here: the libfuse 3 adapter's design (low-level API, fuse_reply_data naming
    the image's descriptor, splice, requests of 252 pages, direct_io, one thread) in C."""
    exe = WORK / "splicefs3"
    src = HOME / "bench" / "peer" / "splicefs3.c"
    if not exe.exists() or exe.stat().st_mtime < src.stat().st_mtime:
        flags = sh("pkg-config", "--cflags", "--libs", "fuse3").stdout.split()
        sh("gcc", "-O2", "-Wall", "-o", exe, src, *flags)
    return exe


def c_peer(img, pin=False):
    return Mount(str(splicefs()), img, "-s", "-o", "splice_write", "-o", "ro", pin=pin)


def c_peer3(img, pin=False, *extra):
    return Mount(str(splicefs3()), img, *extra, "-o", "ro", pin=pin)


def image(gib):
    """A raw image of `gib` GiB of random bytes in the page cache, and a directory holding it for bindfs."""
    img = WORK / f"raw{gib}g.img"
    if not img.exists() or img.stat().st_size != gib * GIB:
        print(f"bench: writing a {gib} GiB raw image of random bytes", flush=True)
        chunk = os.urandom(64 << 20)
        with open(img, "wb") as f:
            for _ in range(gib * 16):
                f.write(chunk)
    for _ in range(2):  # into the page cache, and again so that its pages are on the kernel's active list
        sh("dd", f"if={img}", "of=/dev/null", "bs=4M")
    src = WORK / f"bindfs-src-{gib}g"
    src.mkdir(exist_ok=True)
    link = src / img.name
    if not link.exists():
        os.link(img, link)
    return img, src


LOADS = []


def loadavg():
    """The 1-minute load average (kept, for the results' header)."""
    load = float(Path("/proc/loadavg").read_text().split()[0])
    LOADS.append(load)
    return load


# The systems of the `speed` section, in the order of a round; the order turns by one every round.
SPEED = ["page cache", "bindfs -o ro", "C libfuse 2 peer", "C libfuse 3 peer", "vmcorefs", "vmcorefs --page-cache",
         "bindfs -o ro,kernel_cache", "vmcorefs --libfuse-loop", "vmcorefs --passthrough"]
# Read three times over one mount (the second read is the figure), without random reads.
REREAD = ("vmcorefs --page-cache", "bindfs -o ro,kernel_cache")
# Read three times, and random reads too.
REREAD_AND_RANDOM = ("vmcorefs --passthrough",)


def can_passthrough():
    """FUSE passthrough needs CAP_SYS_ADMIN (bit 21 of the effective capabilities)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) & (1 << 21))
    return False


def vmcore_elf(img, gib):
    """The raw image's /proc/vmcore saved as a file (made once): a kdump vmcore that vmcorefs replays byte for
    byte, so that --passthrough can serve /proc/vmcore from it. Kept in the page cache like the image."""
    elf = WORK / f"vmcore{gib}g.elf"
    if not elf.exists() or elf.stat().st_size < gib * GIB:
        print(f"bench: saving the {gib} GiB image's /proc/vmcore as {elf}", flush=True)
        with Mount("vmcorefs", "--image", img) as m:
            sh("cp", str(m.dir / "proc/vmcore"), str(elf) + ".part")
        os.replace(str(elf) + ".part", elf)
    for _ in range(2):
        sh("dd", f"if={elf}", "of=/dev/null", "bs=4M")
    return elf


def speed_systems(img, src, pin):
    """name -> (mount maker, or None for the page cache read straight from the image; the file to read)."""
    return {
        "page cache": (None, img),
        "bindfs -o ro": (lambda: Mount("bindfs", "-o", "ro", src, pin=pin), img.name),
        "C libfuse 2 peer": (lambda: c_peer(img, pin), "file"),
        "C libfuse 3 peer": (lambda: c_peer3(img, pin), "file"),
        "vmcorefs": (lambda: Mount("vmcorefs", "--image", img, pin=pin), "proc/vmcore"),
        "vmcorefs --page-cache": (lambda: Mount("vmcorefs", "--page-cache", "--image", img, pin=pin),
                                  "proc/vmcore"),
        # The same kernel path as vmcorefs --page-cache (a FUSE file's own page cache, kept across opens): what
        # any FUSE server's re-read costs here.
        "bindfs -o ro,kernel_cache": (lambda: Mount("bindfs", "-o", "ro,kernel_cache", src, pin=pin), img.name),
        # libfuse's own loop reading the requests, every read a callback from native code into Java.
        "vmcorefs --libfuse-loop": (lambda: Mount("vmcorefs", "--libfuse-loop", "--image", img, pin=pin),
                                    "proc/vmcore"),
        # The kernel reads a replayed kdump vmcore itself from the dump file (FUSE passthrough).
        "vmcorefs --passthrough": (lambda: Mount("vmcorefs", "--passthrough", "--image", ELF[0], pin=pin),
                                   "proc/vmcore"),
    }


ELF = [None]


def speed_round(img, src, pin, turn, fio_seconds):
    """One round of every system under one condition: {system: {figure: value}}."""
    systems = speed_systems(img, src, pin)
    order = SPEED[turn % len(SPEED):] + SPEED[:turn % len(SPEED)]
    if ELF[0] is None:
        order = [n for n in order if n != "vmcorefs --passthrough"]
    out = {}
    for name in order:
        mk, f = systems[name]
        r = {}
        if mk is None:
            r["seq"] = dd_rate(f, pin=pin)
            r["p50x1"] = fio(f, 1, fio_seconds, pin=pin)[1]
            r["p50x4"] = fio(f, 4, fio_seconds, pin=pin)[1]
        else:
            with mk() as m:
                path = m.dir / f
                r["seq"] = dd_rate(path, pin=pin)  # the first read of a fresh mount
                if name in REREAD or name in REREAD_AND_RANDOM:
                    r["second"] = dd_rate(path, pin=pin)
                    r["third"] = dd_rate(path, pin=pin)
                if name not in REREAD:
                    r["p50x1"] = fio(path, 1, fio_seconds, pin=pin)[1]
                    r["p50x4"] = fio(path, 4, fio_seconds, pin=pin)[1]
        out[name] = r
    return out


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def mount_and_rss(size, read_bytes):
    """(mount time, peak RSS once mounted, peak RSS after reading `read_bytes` of /proc/vmcore) of a synthetic
    machine of `size`."""
    with Mount("vmcorefs", "--memory", size) as m:
        pid = m.pid()
        mounted_mb = hwm_kib(pid) / 1024
        sh("dd", f"if={m.dir / 'proc/vmcore'}", "of=/dev/null", "bs=1M", f"count={read_bytes >> 20}")
        return m.seconds, mounted_mb, hwm_kib(pid) / 1024


def bench_speed(t, rounds, fio_seconds=1, gib=2):
    """The comparison of issue 16. Every round measures, under each condition (pinned: every server and its
    reader on CPU 0; unpinned), every system on a fresh mount: the first sequential read (dd bs=1M of the whole
    image), then fio psync 4 KiB random p50 with 1 and 4 readers; `vmcorefs --page-cache` reads the whole file
    three times instead (its second read is the figure). Then mount time and peak RSS of a 1 GiB and a 1 TiB
    synthetic machine (unpinned). Ratios are taken within each round, then the median over the rounds."""
    img, src = image(gib)
    if can_passthrough():
        ELF[0] = vmcore_elf(img, gib)
    else:
        print("bench: no CAP_SYS_ADMIN: vmcorefs --passthrough is not measured", flush=True)
    conds = (("pinned", True), ("unpinned", False))
    res = {c: [] for c, _ in conds}
    mounts = {"1G": [], "1T": []}
    t0 = time.time()
    for i in range(rounds + 1):
        for cond, pin in conds:
            r = speed_round(img, src, pin, i, 1 if i == 0 else fio_seconds)
            if i:
                res[cond].append(r)
        for size in mounts:
            m = mount_and_rss(size, GIB)
            if i:
                mounts[size].append(m)
        print(f"  round {i}{' (warm-up)' if i == 0 else ''} done after {time.time() - t0:.0f} s, "
              f"load average {loadavg():.1f}", flush=True)

    def med(cond, name, fig):
        return median([r[name][fig] for r in res[cond]])

    def ratio(cond, name, fig, peer, peer_fig=None):
        return median([r[name][fig] / r[peer][peer_fig or fig] for r in res[cond]])

    labels = {"seq": "first sequential read", "p50x1": "random 4 KiB p50, 1 reader",
              "p50x4": "random 4 KiB p50, 4 readers", "second": "second sequential read",
              "third": "third sequential read"}
    for cond, _ in conds:
        for fig in ("seq", "p50x1", "p50x4", "second", "third"):
            for name in SPEED:
                if name not in res[cond][0] or fig not in res[cond][0][name]:
                    continue
                v = med(cond, name, fig)
                value = gbs(v) if fig in ("seq", "second", "third") else f"{v:.1f} us"
                pc = ratio(cond, name, fig, "page cache", "seq" if fig in ("second", "third") else fig)
                rel = f"{pc:.2f}x page cache"
                if fig in res[cond][0]["bindfs -o ro"]:
                    rel += f", {ratio(cond, name, fig, 'bindfs -o ro'):.2f}x bindfs"
                target = ""
                if name == "vmcorefs" and fig == "seq":
                    c3 = ratio(cond, name, fig, "C libfuse 3 peer")
                    rel += f", {c3:.2f}x C3 peer"
                    target = f">= 0.9x C3, >= 0.6x page cache: {'met' if c3 >= 0.9 and pc >= 0.6 else 'NOT met'}"
                elif name == "vmcorefs" and fig.startswith("p50"):
                    c3, c2 = ratio(cond, name, fig, "C libfuse 3 peer"), ratio(cond, name, fig, "C libfuse 2 peer")
                    b = ratio(cond, name, fig, "bindfs -o ro")
                    rel += f", {c3:.2f}x C3 peer, {c2:.2f}x C2 peer"
                    target = f"<= 1.1x C3, <= 0.9x bindfs: {'met' if c3 <= 1.1 and b <= 0.9 else 'NOT met'}"
                elif name == "vmcorefs --page-cache" and fig in ("second", "third"):
                    rel += f", {ratio(cond, name, fig, 'bindfs -o ro,kernel_cache'):.2f}x bindfs kernel_cache"
                elif name == "vmcorefs --libfuse-loop":
                    rel += f", vmcorefs (own loop) {ratio(cond, 'vmcorefs', fig, name):.2f}x this"
                if name in ("vmcorefs --page-cache", "vmcorefs --passthrough") and fig == "second":
                    target = f">= 0.9x page cache: {'met' if pc >= 0.9 else 'NOT met'}"
                t.speed(cond, labels[fig], name, value, rel, target)
    small, large = mounts["1G"], mounts["1T"]
    for k, what in ((0, "mount time"), (1, "peak RSS once mounted"),
                    (2, "peak RSS after reading 1 GiB of /proc/vmcore")):
        s, l = median([m[k] for m in small]), median([m[k] for m in large])
        fmt = (lambda x: f"{x:.2f} s") if k == 0 else (lambda x: f"{x:.0f} MB")
        t.speed("unpinned", what, "vmcorefs, 1 GiB / 1 TiB synthetic machine", f"{fmt(s)} / {fmt(l)}",
                f"1 TiB = {median([b[k] / a[k] for a, b in zip(small, large)]):.2f}x 1 GiB", "flat (about 1.0x)")


def bench_sequential(t, rounds):
    img, src = raw_image()
    print("sequential read of a 4 GiB machine replayed from a raw image in the page cache", flush=True)
    res = {k: [] for k in ("v1", "v2", "p1", "p2", "b1", "b2", "pc", "n1", "p3", "c1")}
    for i in range(rounds + 1):
        with Mount("vmcorefs", "--image", img) as m:
            v1, v2 = dd_rate(m.dir / "proc/vmcore"), dd_rate(m.dir / "proc/vmcore")
        with Mount("vmcorefs", "--no-splice", "--image", img) as m:
            n1 = dd_rate(m.dir / "proc/vmcore")
        with Mount("vmcorefs", "--page-cache", "--image", img) as m:
            p1, p2, p3 = (dd_rate(m.dir / "proc/vmcore") for _ in range(3))
        with Mount("bindfs", "-o", "ro", src) as b:
            b1, b2 = dd_rate(b.dir / "raw4g.img"), dd_rate(b.dir / "raw4g.img")
        pc = dd_rate(img)
        with c_peer(img) as c:
            c1 = dd_rate(c.dir / "file")
        if i == 0:
            continue  # warm-up
        for k, v in zip(res, (v1, v2, p1, p2, b1, b2, pc, n1, p3, c1)):
            res[k].append(v)
    m = {k: median(v) for k, v in res.items()}
    t.add("sequential", "first read, direct_io (default)", gbs(m["v1"]), "bindfs -o ro, first read", gbs(m["b1"]),
          f"{m['v1'] / m['b1']:.2f}x", ">= 1.2x")
    t.add("sequential", "first read, direct_io (default)", gbs(m["v1"]), "C peer, same design (splicefs)",
          gbs(m["c1"]), f"{m['v1'] / m['c1']:.2f}x", "")
    t.add("sequential", "first read, direct_io, --no-splice", gbs(m["n1"]), "bindfs -o ro, first read",
          gbs(m["b1"]), f"{m['n1'] / m['b1']:.2f}x", "")
    t.add("sequential", "first read, --page-cache", gbs(m["p1"]), "bindfs -o ro, first read", gbs(m["b1"]),
          f"{m['p1'] / m['b1']:.2f}x", ">= 1.2x")
    t.add("sequential", "re-read, direct_io (default)", gbs(m["v2"]), "page cache (dd of the image)", gbs(m["pc"]),
          f"{m['v2'] / m['pc']:.2f}x", ">= 0.7x")
    t.add("sequential", "re-read, --page-cache", gbs(m["p2"]), "page cache (dd of the image)", gbs(m["pc"]),
          f"{m['p2'] / m['pc']:.2f}x", ">= 0.7x")
    # The second read of freshly cached pages also moves them to the kernel's active list (the image's pages,
    # read many times, are there already); the third read shows the cache alone.
    t.add("sequential", "third read, --page-cache", gbs(m["p3"]), "page cache (dd of the image)", gbs(m["pc"]),
          f"{m['p3'] / m['pc']:.2f}x", "")
    t.add("sequential", "re-read, direct_io (default)", gbs(m["v2"]), "bindfs -o ro, re-read", gbs(m["b2"]),
          f"{m['v2'] / m['b2']:.2f}x", "")


def fio(path, jobs, seconds, pin=False):
    r = sh(*(PIN if pin else []), "fio", "--name=rand", f"--filename={path}", "--rw=randread", "--bs=4k", "--ioengine=psync",
           f"--numjobs={jobs}", "--group_reporting", "--time_based", f"--runtime={seconds}",
           "--output-format=json", "--invalidate=0", timeout=seconds * 4 + 60)
    job = json.loads(r.stdout[r.stdout.index("{"):])["jobs"][0]["read"]
    pct = job["clat_ns"]["percentile"]
    return job["iops"], pct["50.000000"] / 1000, pct["99.000000"] / 1000


def bench_random(t, rounds, seconds=3):
    img, src = raw_image()
    print("random 4 KiB reads over the same bytes", flush=True)
    for mode, opts in (("direct_io", []), ("--page-cache", ["--page-cache"])):
        with Mount("vmcorefs", *opts, "--image", img) as m, Mount("bindfs", "-o", "ro", src) as b, \
                c_peer(img) as c:
            for jobs in (1, 4):
                v, p, cp = [], [], []
                for i in range(rounds + 1):
                    rv = fio(m.dir / "proc/vmcore", jobs, seconds)
                    rp = fio(b.dir / "raw4g.img", jobs, seconds)
                    rc = fio(c.dir / "file", jobs, seconds) if mode == "direct_io" else None
                    if i:
                        v.append(rv)
                        p.append(rp)
                        cp.append(rc)
                vi, v50, v99 = (median([x[k] for x in v]) for k in range(3))
                pi, p50, p99 = (median([x[k] for x in p]) for k in range(3))
                what = f"{jobs} reader(s), {mode}"
                t.add("random 4 KiB", f"{what}: p50 latency", f"{v50:.1f} us", "bindfs -o ro", f"{p50:.1f} us",
                      f"{v50 / p50:.2f}x", "<= 1.0x")
                if mode == "direct_io":
                    c50 = median([x[1] for x in cp])
                    t.add("random 4 KiB", f"{what}: p50 latency", f"{v50:.1f} us", "C peer, same design (splicefs)",
                          f"{c50:.1f} us", f"{v50 / c50:.2f}x", "")
                t.add("random 4 KiB", f"{what}: p99 latency", f"{v99:.1f} us", "bindfs -o ro", f"{p99:.1f} us",
                      f"{v99 / p99:.2f}x", "")
                t.add("random 4 KiB", f"{what}: operations/s", f"{vi:.0f}", "bindfs -o ro", f"{pi:.0f}",
                      f"{vi / pi:.2f}x", "")


def bench_mount(t, rounds):
    print("mount time (bin/vmcorefs mount until the files are visible)", flush=True)
    small, large = [], []
    for i in range(rounds + 1):
        for size, out in (("1G", small), ("1T", large)):
            with Mount("vmcorefs", "--memory", size) as m:
                if i:
                    out.append(m.seconds)
    s, l = median(small), median(large)
    t.add("mount time", "1 TiB synthetic machine", f"{l:.2f} s", "1 GiB synthetic machine", f"{s:.2f} s",
          f"{l / s:.2f}x", "<= 1.1x, < 1.5 s")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream_rss(size):
    """Peak resident size of the daemon while the whole vmcore of a synthetic machine is read."""
    with Mount("vmcorefs", "--memory", size) as m:
        pid, peak, done = m.pid(), [0], threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.2)
        th = threading.Thread(target=sample)
        th.start()
        rate = dd_rate(m.dir / "proc/vmcore")
        done.set()
        th.join()
        return peak[0] / 1024, rate


def bench_memory(t):
    print("resident memory while streaming a vmcore end to end", flush=True)
    small, _ = stream_rss("1G")
    large, rate = stream_rss("64G")
    t.add("memory", "peak RSS streaming a 64 GiB machine's vmcore", f"{large:.0f} MB",
          "streaming a 1 GiB machine's vmcore", f"{small:.0f} MB", f"{large / small:.2f}x",
          f"flat, < 150 MB (streamed at {gbs(rate)})")


def load_of(vmcore, paddr):
    """(file offset, size) of the PT_LOAD whose p_paddr is `paddr`, from readelf."""
    out = sh("readelf", "-W", "-l", vmcore).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD" and int(f[3], 16) == paddr:
            return int(f[1], 16), int(f[4], 16)
    raise SystemExit(f"bench: no PT_LOAD at paddr {paddr:#x} in {vmcore}")


def timed_dd(path, offset, size, bs="1M"):
    t0 = time.perf_counter()
    sh("dd", f"if={path}", "of=/dev/null", f"bs={bs}", f"skip={offset}", f"count={size}",
       "iflag=skip_bytes,count_bytes")
    return time.perf_counter() - t0


def bench_saved(t, rounds):
    print("saved-area cost: the whole hardware-saved area read through its simulated interface", flush=True)
    cases = [("x86 kexec backup", ["--memory", "1G"], 0),
             ("s390 HSA via SCLP SDIAS", ["--profile", "s390x-zfcpdump", "--memory", "1G"], 0),
             ("POWER hypervisor copy of the low 256 MiB", ["--profile", "ppc64-phyp", "--memory", "1G"], 0)]
    for name, opts, paddr in cases:
        with Mount("vmcorefs", *opts) as m:
            vmcore = m.dir / "proc/vmcore"
            off, size = load_of(vmcore, paddr)
            area = m.stats()["savedArea"]
            saved_size = min(size, area["size"])
            # The peer: as many bytes of ordinary memory (the next PT_LOAD's data, or what follows the area).
            times, peer, reqs = [], [], 0
            for i in range(rounds + 1):
                before = m.stats()["savedArea"]["requests"]
                dt = timed_dd(vmcore, off, saved_size)
                reqs = m.stats()["savedArea"]["requests"] - before
                dp = timed_dd(vmcore, off + size if size > saved_size else off + saved_size, saved_size) \
                    if size > saved_size else timed_dd(vmcore, off + size + 4096, saved_size)
                if i:
                    times.append(dt)
                    peer.append(dp)
            t.add("saved area", f"{name}: {saved_size >> 10} KiB in {reqs} requests of {area['blockSize']} B",
                  f"{median(times) * 1000:.1f} ms ({gbs(saved_size / median(times))})",
                  "as many bytes of ordinary memory", f"{median(peer) * 1000:.1f} ms", f"{median(times) / median(peer):.2f}x", "")


def bench_jmh(t):
    print("JMH: the read path without FUSE (1 fork, 3 warm-up + 5 measured iterations)", flush=True)
    cpfile = WORK / "jmh.cp"
    # One reactor run: hardware-model resolves to its classes; formats, built last, writes the file last.
    sh("mvn", "-B", "-q", "-pl", "formats", "-am", "-DskipTests", "test-compile", "dependency:build-classpath",
       "-Dmdep.includeScope=test", f"-Dmdep.outputFile={cpfile}")
    cp = ":".join([str(HOME / "formats/target/test-classes"), str(HOME / "formats/target/classes"),
                   str(HOME / "hardware-model/target/classes"), cpfile.read_text().strip()])
    out = WORK / "jmh.json"
    sh("java", "-cp", cp, "org.openjdk.jmh.Main", "ReadPathBenchmark", "-rf", "json", "-rff", out, timeout=900)
    scores = {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"]["score"] * int(r["params"]["readSize"])
              for r in json.loads(out.read_text())}
    copy = scores["plainCopy"]
    for name, label in (("syntheticMemory", "synthetic memory generator, 1 core"),
                        ("vmcoreRead", "/proc/vmcore read loop over synthetic memory, 1 core")):
        t.add("JMH", label, gbs(scores[name]), "plain 128 KiB copy into the same buffer", gbs(copy),
              f"{scores[name] / copy:.2f}x", ">= 4 GB/s" if name == "syntheticMemory" else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="measured runs per figure (after one warm-up run)")
    ap.add_argument("--only", default="speed", help="comma-separated sections: speed (the default), seq, "
                    "random, mount, memory, saved, jmh")
    ap.add_argument("--fio-seconds", type=int, default=1, help="length of each fio run in the speed section")
    ap.add_argument("--out", help="where the table goes: bench/results.md for make bench's speed section, "
                    "bench/results-SECTIONS.md for other sections (so they do not replace make bench's figures)")
    args = ap.parse_args()
    make_bench = args.only == "speed"
    out = Path(args.out) if args.out else HOME / "bench" / (
        "results.md" if make_bench else f"results-{args.only.replace(',', '-')}.md")
    if args.rounds < 5:
        print("bench: note: fewer than 5 rounds; figures are medians of", args.rounds, flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    for tool in ("bindfs", "fio", "fusermount", "readelf", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing (make bench installs it: scripts/install-deps.sh)")
    t = Table()
    loadavg()
    parts = {"speed": lambda: bench_speed(t, args.rounds, args.fio_seconds), "seq": lambda: bench_sequential(t, args.rounds), "random": lambda: bench_random(t, args.rounds),
             "mount": lambda: bench_mount(t, args.rounds), "memory": lambda: bench_memory(t),
             "saved": lambda: bench_saved(t, args.rounds), "jmh": lambda: bench_jmh(t)}
    for name in args.only.split(","):
        parts[name]()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    command = f"`bench/bench.py --rounds {args.rounds} --only {args.only}`"
    header = (f"# vmcorefs benchmark results\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} cores ({cpu}), kernel {os.uname().release}; medians of {args.rounds} runs after "
              f"a warm-up, the systems alternating; load average {min(LOADS + [loadavg()]):.1f}-{max(LOADS):.1f} "
              f"over the run{' (the machine was busy: absolute figures are noisy, ratios less so)' if max(LOADS) > 2.5 else ''}."
              f"\nCommand: " + (f"`make bench` ({command})." if make_bench else f"{command}."))
    md = t.markdown(header)
    print()
    print(md)
    out.write_text(md)
    print(f"bench: wrote {out}", flush=True)


if __name__ == "__main__":
    main()
