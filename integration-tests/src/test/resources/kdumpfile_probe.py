"""Opens a dump with libkdumpfile and prints what it sees as JSON: format, arch, CPUs, VMCOREINFO, reads.

Usage: kdumpfile_probe.py DUMP [HEXADDR:LENGTH ...]   (reads by physical address)
"""
import json
import sys

import kdumpfile

k = kdumpfile.kdumpfile(sys.argv[1])
out = {"format": k.attr["file.format"], "arch": k.attr["arch.name"], "cpus": [], "reads": {}}
try:
    n = k.attr["cpu.number"]
except KeyError:
    n = 0
for i in range(n):
    regs = k.attr["cpu.%d.reg" % i]
    out["cpus"].append({"pid": k.attr["cpu.%d.pid" % i],
                        "regs": {name: "%x" % regs[name] for name in regs}})
try:
    out["osrelease"] = k.attr["linux.vmcoreinfo.lines.OSRELEASE"]
except KeyError:
    out["osrelease"] = None
for spec in sys.argv[2:]:
    addr, length = spec.split(":")
    out["reads"][addr] = k.read(kdumpfile.KDUMP_KPHYSADDR, int(addr, 16), int(length)).hex()
print(json.dumps(out))
