# memgate's front door: a thin layer over CMake and CTest (see README.md).
#   make memgate     install what is missing, build, gate every shipped scenario
#   make test        install what is missing, build, run every test
#   make bench       benchmarks (tests/bench), printed figures, not part of `make test`
#   make baselines   create or refresh baselines/ on this machine
#   make install     PREFIX=/usr/local DESTDIR=: memgate, its man page and data files
#   make package     build/memgate_<version>_<arch>.deb (CPack; Depends from dpkg-shlibdeps)
#   make sanitize    the unit and integration tests under ASan+UBSan+LSan (build-asan)
#   make tsan        the tests of memgate's threads (watcher, drivers, runs) under TSan (build-tsan)
#   make fuzz        libFuzzer targets (clang) for a bounded time: FUZZ_SECONDS per target
#   make soak        a 10-minute full-speed run: memgate's own memory and CPU (tests/bench)
#   make explain     SCENARIO=FILE [AGAINST=PROFILE]: one run under heaptrack/tracemalloc
#   make deps        the one place that installs Debian packages (deps-explain: heaptrack only)
BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
MEMGATE    := $(BUILD_DIR)/bin/memgate
SCENARIOS  ?= $(filter-out %.schema.json,$(sort $(wildcard scenarios/*.json)))
REPEAT     ?=
# I/N: gate (or baseline) only the I-th of N disjoint parts of SCENARIOS (memgate --shard).
SHARD      ?=
# make baselines SITTINGS=K: K sittings GAP_S seconds apart (memgate baseline --sittings).
SITTINGS   ?=
GAP_S      ?= 600
# The bearer token text-batch-openai.json sends ({env:MEMGATE_API_TOKEN}) and its service checks:
# a fresh random one for each make, unless the caller exports their own. Never in a file.
ifndef MEMGATE_API_TOKEN
MEMGATE_API_TOKEN := $(shell od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
endif
export MEMGATE_API_TOKEN

# Debian bookworm packages. Build and run: compiler, CMake, libraries, the Redis server the
# Redis scenarios run against, Python's redis client for the example worker they gate, wrk for
# the scenario that brings its own load. Tests add xmllint, the JSON Schema checker, Chromium
# (the report page), mawk (a stdin SUT that buffers), RQ (a real worker fed by a load
# command), PyYAML and ShellCheck (the CI examples: workflows, Kubernetes manifests); benchmarks
# add the tools they compare with.
DEPS_BUILD := cmake g++ make pkg-config libboost-dev libboost-filesystem-dev libhiredis-dev \
              nlohmann-json3-dev catch2 libcli11-dev libfmt-dev redis-server python3 python3-redis \
              wrk
DEPS_TEST  := libxml2-utils python3-jsonschema chromium mawk python3-rq python3-yaml shellcheck \
              dpkg-dev strace
DEPS_BENCH := redis-tools
# `memgate explain` runs native SUTs under heaptrack: its target, the tests and the benchmarks
# install it; `make memgate` does not need it.
DEPS_EXPLAIN := heaptrack
DEPS_FUZZ  := clang libclang-rt-14-dev
# `make package` runs dpkg-shlibdeps (dpkg-dev) to compute the package's Depends; the test that
# builds and installs the package needs it too.
DEPS_PACKAGE := dpkg-dev
PREFIX     ?= /usr/local
FUZZ_SECONDS ?= 30

# Sanitizer runs stop at the first report, with a stack; LSan runs at every memgate exit (a leak
# fails the test through memgate's exit code). TSan: memgate forks its SUT from a threaded
# process and the child execs at once, so fork is allowed.
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0
# The tests that exercise memgate's threads: the watcher's sampling thread, the reaper, the
# output pumps, the drivers' loops, interrupts, the workers' runs (services, several trees), the
# load commands (trees added to the watch while it samples).
TSAN_TESTS := watcher|peak|tree|redis|text-batch|text over|faults|SIG|interval|workers|load command
TSAN_SKIP  := leak knob
DEPS       ?= $(DEPS_BUILD)

.PHONY: all deps deps-explain build test bench memgate baselines explain sanitize tsan fuzz soak \
        install package clean

all: build

# Idempotent: installs only the missing packages, and only as root; otherwise prints the line.
deps:
	@missing=""; \
	for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing"; \
	  echo "deps: run: sudo apt-get install -y$$missing   (then make again)"; exit 1; \
	fi; \
	echo "deps: installing:$$missing"; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

deps-explain:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_EXPLAIN)"

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_TEST) $(DEPS_EXPLAIN)"
	@$(MAKE) --no-print-directory build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE 'bench|soak'

bench:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_BENCH) $(DEPS_EXPLAIN)"
	@$(MAKE) --no-print-directory build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target memgate_benches
	cd $(BUILD_DIR) && ctest --output-on-failure -L bench -V

sanitize:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_TEST) $(DEPS_EXPLAIN)"
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGATE_SANITIZE=address
	cmake --build build-asan -j $(JOBS) --target memgate_unit_tests memgate_session_tests \
	  memgate_integration_tests
	cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS) -LE 'bench|soak'

tsan:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD)"
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMEMGATE_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target memgate_integration_tests
	cd build-tsan && $(TSAN_ENV) ctest --output-on-failure -j $(JOBS) -L integration \
	  -R '$(TSAN_TESTS)' -E '$(TSAN_SKIP)'

fuzz:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_FUZZ)"
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
	  -DMEMGATE_SANITIZE=fuzzer -DMEMGATE_UNITY=OFF
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

soak:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD)"
	@$(MAKE) --no-print-directory build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target memgate_benches
	cd $(BUILD_DIR) && ctest --output-on-failure -L soak -V

# Gate every shipped scenario against baselines/. Exit 0 pass, 1 regressed, 3 invalid run,
# 4 no verdict (make turns any failure into 2: CI that needs the difference calls memgate).
memgate:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory build
	$(MEMGATE) check $(SCENARIOS) --baselines baselines $(if $(REPEAT),--repeat $(REPEAT)) \
	  $(if $(SHARD),--shard $(SHARD))

# Create or refresh baselines/ on this machine (commit them).
baselines:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory build
	$(MEMGATE) baseline $(SCENARIOS) --baselines baselines $(if $(REPEAT),--repeat $(REPEAT)) \
	  $(if $(SHARD),--shard $(SHARD)) $(if $(SITTINGS),--sittings $(SITTINGS) --gap-s $(GAP_S))

# One run of SCENARIO with its SUT under heaptrack (native) or tracemalloc (Python): the top
# allocation sites in reports/<scenario>/explain/; AGAINST=PROFILE: the sites that grew since.
explain:
	@test -n "$(SCENARIO)" || { echo "usage: make explain SCENARIO=scenarios/NAME.json [AGAINST=PROFILE]"; exit 2; }
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_EXPLAIN)"
	@$(MAKE) --no-print-directory build
	$(MEMGATE) explain $(SCENARIO) $(if $(AGAINST),--against $(AGAINST))

# The installed program reads nothing of this tree: data files go under PREFIX/share/memgate.
install:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target memgate
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix "$(PREFIX)" --strip

package:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS_BUILD) $(DEPS_PACKAGE)"
	@$(MAKE) --no-print-directory $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target memgate
	cd $(BUILD_DIR) && cpack -G DEB
	@ls -l $(BUILD_DIR)/memgate_*.deb

clean:
	rm -rf $(BUILD_DIR) build-asan build-tsan build-fuzz
