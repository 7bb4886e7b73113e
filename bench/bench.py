#!/usr/bin/python3
"""vmcorefs benchmarks: measures, prints a table and writes bench/results.md. Asserts nothing.

Every figure is set against a peer measured in the same run: runs alternate between vmcorefs and its
peer, each figure is the median of at least 5 runs after a warm-up run.

  make bench                      all of it (about 15 minutes on 2 cores)
  bench/bench.py --rounds 5 --only peers,seq,random,mount,memory,saved,jmh
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

    def add(self, section, what, value, peer_name, peer, ratio, target=""):
        self.rows.append((section, what, value, peer_name, peer, ratio, target))
        print(f"  {what}: {value}  vs {peer_name}: {peer}  ratio {ratio}  {target}", flush=True)

    def markdown(self, header):
        out = [header, "", "| part | figure | vmcorefs | peer | peer's figure | ratio | target |",
               "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            out.append("| " + " | ".join(str(c) for c in r) + " |")
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


# The servers of the peer comparison, alternating in every round: name -> (mount maker, file in the mount).
def servers(img, src, pin):
    return {
        "vmcorefs --fuse 3": (lambda: Mount("vmcorefs", "--fuse", "3", "--image", img, pin=pin), "proc/vmcore"),
        "vmcorefs --fuse 2": (lambda: Mount("vmcorefs", "--fuse", "2", "--image", img, pin=pin), "proc/vmcore"),
        "C peer, libfuse 3 (splicefs3)": (lambda: c_peer3(img, pin), "file"),
        "C peer, libfuse 2 (splicefs)": (lambda: c_peer(img, pin), "file"),
        "bindfs -o ro": (lambda: Mount("bindfs", "-o", "ro", src, pin=pin), "raw4g.img"),
    }


def bench_peers(t, rounds):
    """First sequential read and random 4 KiB p50 of every server, pinned and unpinned, against the page cache,
    bindfs and the C peer of the same design (the issue's targets)."""
    img, src = raw_image()
    for pin in (True, False):
        cond = "pinned (server and reader on CPU 0)" if pin else "unpinned"
        print(f"peers, {cond}: first sequential read of the 4 GiB image (dd bs=1M)", flush=True)
        srv = servers(img, src, pin)
        seq = {k: [] for k in list(srv) + ["page cache"]}
        for i in range(rounds + 1):
            for name, (mk, f) in srv.items():
                with mk() as m:
                    r = dd_rate(m.dir / f, pin=pin)
                if i:
                    seq[name].append(r)
            r = dd_rate(img, pin=pin)
            if i:
                seq["page cache"].append(r)
        m = {k: median(v) for k, v in seq.items()}
        c3 = m["C peer, libfuse 3 (splicefs3)"]
        for name in list(srv) + ["page cache"]:
            target = ">= 0.9x C peer 3, >= 0.6x page cache" if name == "vmcorefs --fuse 3" else ""
            t.add(f"peers, {cond}", f"first sequential read: {name}", gbs(m[name]), "page cache",
                  gbs(m["page cache"]), f"{m[name] / m['page cache']:.2f}x; {m[name] / m['bindfs -o ro']:.2f}x bindfs; "
                  f"{m[name] / c3:.2f}x C peer 3", target)
        for jobs in (1, 4):
            print(f"peers, {cond}: random 4 KiB reads, {jobs} reader(s)", flush=True)
            lat = {k: [] for k in srv}
            for i in range(rounds + 1):
                for name, (mk, f) in srv.items():
                    with mk() as mnt:
                        r = fio(mnt.dir / f, jobs, 3, pin=pin)
                    if i:
                        lat[name].append(r[1])
            p50 = {k: median(v) for k, v in lat.items()}
            c3 = p50["C peer, libfuse 3 (splicefs3)"]
            for name in srv:
                target = "<= 1.1x C peer 3, <= 0.9x bindfs" if name == "vmcorefs --fuse 3" else ""
                t.add(f"peers, {cond}", f"random 4 KiB p50, {jobs} reader(s): {name}", f"{p50[name]:.1f} us",
                      "bindfs -o ro", f"{p50['bindfs -o ro']:.1f} us",
                      f"{p50[name] / p50['bindfs -o ro']:.2f}x; {p50[name] / c3:.2f}x C peer 3", target)


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
    ap.add_argument("--only", default="peers,seq,random,mount,memory,saved,jmh")
    args = ap.parse_args()
    if args.rounds < 5:
        print("bench: note: fewer than 5 rounds; figures are medians of", args.rounds, flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    for tool in ("bindfs", "fio", "fusermount", "readelf", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing (make bench installs it: scripts/install-deps.sh)")
    t = Table()
    parts = {"peers": lambda: bench_peers(t, args.rounds), "seq": lambda: bench_sequential(t, args.rounds), "random": lambda: bench_random(t, args.rounds),
             "mount": lambda: bench_mount(t, args.rounds), "memory": lambda: bench_memory(t),
             "saved": lambda: bench_saved(t, args.rounds), "jmh": lambda: bench_jmh(t)}
    for name in args.only.split(","):
        parts[name]()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    header = (f"# vmcorefs benchmark results\n\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"{os.cpu_count()} cores ({cpu}), kernel {os.uname().release}; medians of {args.rounds} runs after "
              f"a warm-up, vmcorefs and its peer alternating.\nCommand: `make bench` "
              f"(`bench/bench.py --rounds {args.rounds} --only {args.only}`).")
    md = t.markdown(header)
    print()
    print(md)
    (HOME / "bench" / "results.md").write_text(md)


if __name__ == "__main__":
    main()
