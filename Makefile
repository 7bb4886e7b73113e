# vmcorefs: `make run` builds and mounts the default machine at ./mnt; `make test` runs every test.
MVN ?= mvn -B -q
MNT ?= $(CURDIR)/mnt

.PHONY: all build run stop test unit deps clean bench fuzz soak

all: build

deps:
	./scripts/install-deps.sh

build: deps
	$(MVN) -DskipTests package
	./scripts/train-cds.sh

run: build
	@mkdir -p $(MNT)
	@if grep -q " $(MNT) fuse" /proc/self/mounts; then bin/vmcorefs unmount $(MNT); fi
	bin/vmcorefs mount $(MNT)
	@echo
	@echo "Try:"
	@echo "  ls -lR $(MNT)"
	@echo "  readelf -h -l -n $(MNT)/proc/vmcore"
	@echo "  gdb -batch -ex 'info threads' -ex 'info registers' -c $(MNT)/proc/vmcore"
	@echo "  dd if=$(MNT)/proc/vmcore bs=4096 skip=2 count=1 | xxd | head"
	@echo "  bin/vmcorefs stats $(MNT)"
	@echo "  bin/vmcorefs run $(MNT) -- ls -l /proc/vmcore /dev/oldmem   (tools at the real paths)"
	@echo "  bin/vmcorefs unmount $(MNT)     (or: make stop)"

stop:
	@if grep -q " $(MNT) fuse" /proc/self/mounts; then bin/vmcorefs unmount $(MNT); fi

# Unit tests, then real mounts checked with real clients (integration-tests).
test: build
	$(MVN) verify

unit: deps
	$(MVN) -pl hardware-model,formats,fs -am test

# Benchmarks: figures, not tests (nothing asserted). Prints a table and writes bench/results.md.
bench: build
	/usr/bin/python3 bench/bench.py

# The soak (SoakTest): every profile in turn with injected saved-area failures and latency, 8 readers, open/close
# churn (SOAK_OPENS in all) and control-file writes; SOAK_SECONDS in all (default 10 minutes), shared by the
# profiles, plus about 10 s per profile to mount and unmount. Bounded, stops by itself. Prints bytes checked,
# errors by errno, the daemon's descriptors and RSS at start and end; fails on a wrong byte, a descriptor left
# open or RSS growth. The figures stay in integration-tests/target/soak-report.txt.
SOAK_SECONDS ?= 600
SOAK_OPENS ?= 100000
soak: build
	$(MVN) -pl integration-tests -am verify -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dvmcorefs.soak.seconds=$(SOAK_SECONDS) -Dvmcorefs.soak.opens=$(SOAK_OPENS) \
	  || { cat integration-tests/target/soak-report.txt 2>/dev/null; exit 1; }
	@cat integration-tests/target/soak-report.txt

# Fuzzing (Jazzer): every input reader and control-file parser, one target at a time, each for the time its
# @FuzzTest(maxDuration) gives (30-60 s; about 8 minutes in all). Prints the executions per target; a finding
# is saved under the target's ...FuzzTestInputs/<target>/ in src/test/resources, so that every `make test`
# replays it from then on, and the run stops there. Logs: target/fuzz/<target>.log.
FUZZ_TARGETS ?= formats:ImageFuzzTest\#elfImage formats:ImageFuzzTest\#kdumpCompressedImage \
  formats:ImageFuzzTest\#s390DumpImage formats:ImageFuzzTest\#rawOrForeignImage formats:ParserFuzzTest\#notes \
  formats:ControlFileFuzzTest\#releaseRegion formats:ControlFileFuzzTest\#zcoreHsa \
  formats:ControlFileFuzzTest\#zcoreReipl formats:ControlFileFuzzTest\#fadumpRegistered \
  formats:ControlFileFuzzTest\#fadumpReleaseMem fs:CommandLineFuzzTest\#size fs:CommandLineFuzzTest\#crashkernel
fuzz: deps
	@mkdir -p target/fuzz
	@for t in $(FUZZ_TARGETS); do \
	  module=$${t%%:*}; test=$${t#*:}; log=target/fuzz/$$(echo $$test | tr '#' .).log; \
	  if JAZZER_FUZZ=1 $(MVN) -pl $$module -am test -Dtest="$$test" -Dsurefire.failIfNoSpecifiedTests=false \
	       >$$log 2>&1; then \
	    echo "fuzz: $$test: $$(grep -ao 'Done [0-9]* runs in [0-9]* second(s)' $$log | tail -1)"; \
	  else \
	    echo "fuzz: $$test: FINDING (or failure); see $$log:"; grep -a -m5 -A8 'FuzzTestFinding\|== Java Exception' $$log; \
	    exit 1; \
	  fi; \
	done

clean:
	$(MVN) clean

# Real crash dumps of a Debian kernel crashed under QEMU, for the replay tests, in
# ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures} (needs root and ../shared/tools; takes minutes).
.PHONY: fixtures
fixtures:
	./scripts/make-fixtures.sh

# make test first makes them if VMCOREFS_FIXTURES is unset and the cache has none. If they cannot be made
# the replay tests FAIL, saying what is missing, unless VMCOREFS_MAY_SKIP=fixtures says that this machine
# cannot have them (refused under CI=true; see README, Testing).
.PHONY: fixtures-if-missing
test: fixtures-if-missing
fixtures-if-missing:
	@[ -n "$$VMCOREFS_FIXTURES" ] || ./scripts/make-fixtures.sh --if-missing \
	  || echo "make: no real dumps: the replay tests will fail (VMCOREFS_MAY_SKIP=fixtures skips them off CI)"
