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

# A longer soak of the concurrent-readers test: SOAK_SECONDS per profile; bounded, stops by itself.
SOAK_SECONDS ?= 300
soak: build
	$(MVN) -pl integration-tests -am verify -Dtest=ConcurrentReadersTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dvmcorefs.soak.seconds=$(SOAK_SECONDS)

# Fuzzing (Jazzer): each parser fuzzed for the time its @FuzzTest(maxDuration) gives (a minute or so);
# a crash is saved under formats/src/test/resources/.../ParserFuzzTestInputs/ and so replayed by every
# `make test` from then on.
FUZZ_TARGETS ?= ParserFuzzTest\#imageFile ParserFuzzTest\#notes
fuzz: deps
	for t in $(FUZZ_TARGETS); do \
	  JAZZER_FUZZ=1 $(MVN) -pl formats -am test -Dtest="$$t" -Dsurefire.failIfNoSpecifiedTests=false || exit 1; \
	done

clean:
	$(MVN) clean

# Real crash dumps of a Debian kernel crashed under QEMU, for the replay tests, in
# ${VMCOREFS_FIXTURES:-/var/cache/vmcore-fixtures} (needs root and ../shared/tools; takes minutes).
.PHONY: fixtures
fixtures:
	./scripts/make-fixtures.sh

# make test first makes them if VMCOREFS_FIXTURES is unset and the cache has none; it goes on without
# them if they cannot be made (the replay tests are then skipped, saying why).
.PHONY: fixtures-if-missing
test: fixtures-if-missing
fixtures-if-missing:
	@[ -n "$$VMCOREFS_FIXTURES" ] || ./scripts/make-fixtures.sh --if-missing \
	  || echo "make: no real dumps: the replay tests will be skipped"
