# Thin wrapper around meson/ninja (meson is the build system).
#   make            build (ASan/UBSan, warnings are errors)
#   make check      install missing dependencies, build, run every test
#   make storyline  the main job: the documented storyline on a netns testbed (root)
#   make replay     the whole documented storyline replayed without qspnd (root)
#   make valgrind   the storyline, faults and hostile flood with every qspnd under valgrind memcheck (root)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (default 60) each (clang build)
#   make bench      benchmarks from a release build (build-rel), writes docs/PERFORMANCE.md (root)
#   make bench-smoke  the benchmarks tiny, checking only that they run and are right (in make check)
BUILD      ?= build
MESON_OPTS ?= -Db_sanitize=address,undefined
SHARED_DIR ?= $(abspath ../shared)
VG_BUILD   ?= build-valgrind
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
REL_BUILD  ?= build-rel

HARNESS_ARGS = --world topologies/greek.world --steps topologies/greek.steps \
	--expected $(SHARED_DIR)/scenarios/expected

.PHONY: all deps check storyline replay valgrind fuzz bench bench-smoke clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS) -Dshared_dir=$(SHARED_DIR)

deps:
	@bash .ci/install-deps

check: deps
	$(MAKE) all
	@rc=0; meson test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=$$?; \
	awk '/^Ok:/{ok=$$2} /^Expected Fail:/{xf=$$3} /^Fail:/{f=$$2} /^Unexpected Pass:/{up=$$3} \
	     /^Timeout:/{to=$$2} /^Skipped:/{sk=$$2} \
	     END{printf "%d passed, %d failed, %d skipped\n", ok+xf, f+up+to, sk}' \
	     $(BUILD)/meson-logs/testlog.txt; exit $$rc

storyline: deps
	$(MAKE) all
	$(BUILD)/harness/qspn-harness run $(HARNESS_ARGS) \
	  --qspnd $(BUILD)/qspn/daemon/qspnd --qspnctl $(BUILD)/qspn/cli/qspnctl \
	  --artifacts $(BUILD)/harness-artifacts/storyline --pictures $(BUILD)/storyline-pictures \
	  --picture-path alfa:epsilon --json $(BUILD)/storyline-report.json

replay: deps
	$(MAKE) all
	$(BUILD)/harness/qspn-harness run --world topologies/greek.world \
	  --steps topologies/greek-replay.steps --expected $(SHARED_DIR)/scenarios/expected \
	  --replay-documented $(SHARED_DIR)/scenarios/sequence-netns.sh \
	  --artifacts $(BUILD)/harness-artifacts/replay

# valgrind and ASan exclude each other: a separate build without sanitizers.
# The storyline, then the fault scenarios and the hostile flood (issue 9 part 6)
# with qspnd's own intervals; any memory error or leak fails the run (exit 99
# of valgrind-qspnd.sh), and every log in $(VG_BUILD)/valgrind-logs must be empty.
VG_RUN = QSPND_REAL=$(VG_BUILD)/qspn/daemon/qspnd VALGRIND_LOG_DIR=$(VG_BUILD)/valgrind-logs \
	$(VG_BUILD)/harness/qspn-harness run --qspnd harness/valgrind-qspnd.sh \
	--qspnctl $(VG_BUILD)/qspn/cli/qspnctl --deadline 60 --start-deadline 60
valgrind: deps
	[ -f $(VG_BUILD)/build.ninja ] || meson setup $(VG_BUILD) -Dtests=false -Dshared_dir=$(SHARED_DIR)
	ninja -C $(VG_BUILD)
	rm -rf $(VG_BUILD)/valgrind-logs && mkdir -p $(VG_BUILD)/valgrind-logs
	$(VG_RUN) $(HARNESS_ARGS) --artifacts $(VG_BUILD)/harness-artifacts/valgrind
	VALGRIND_QSPND_INTERVALS=keep $(VG_RUN) --world topologies/faults.world \
	  --steps topologies/faults.steps --artifacts $(VG_BUILD)/harness-artifacts/valgrind-faults
	VALGRIND_QSPND_INTERVALS=keep QSPN_ROGUE_RATE=500 QSPN_ROGUE=$(CURDIR)/$(VG_BUILD)/harness/qspn-rogue \
	  QSPN_HOSTILE=$(CURDIR)/harness QSPNCTL=$(CURDIR)/$(VG_BUILD)/qspn/cli/qspnctl \
	  $(VG_RUN) --world topologies/hostile.world --steps topologies/hostile.steps --verbose \
	  --artifacts $(VG_BUILD)/harness-artifacts/valgrind-hostile
	@n=$$(ls $(VG_BUILD)/valgrind-logs | wc -l); bad=$$(find $(VG_BUILD)/valgrind-logs -type f -size +0 | wc -l); \
	echo "valgrind: $$n qspnd processes, $$bad non-empty logs"; [ $$bad = 0 ]

# libFuzzer needs clang: a separate build whose libraries are instrumented for
# coverage too (fuzzer-no-link); tests/fuzz.sh lists the targets and their seeds.
fuzz: deps
	[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) \
	  -Db_sanitize=address,undefined -Dc_args=-fsanitize=fuzzer-no-link \
	  -Dnetns_tests=false -Dshared_dir=$(SHARED_DIR)
	bash tests/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Benchmarks (issue 12): a release build without sanitizers; bench/run.sh runs
# every benchmark (min/median/max over BENCH_REPS runs) and writes the report.
bench: deps
	[ -f $(REL_BUILD)/build.ninja ] || meson setup $(REL_BUILD) --buildtype=release \
	  -Dtests=false -Dshared_dir=$(SHARED_DIR)
	ninja -C $(REL_BUILD)
	sh bench/run.sh $(REL_BUILD) docs/PERFORMANCE.md

bench-smoke: all
	meson test -C $(BUILD) --suite bench --print-errorlogs

clean:
	rm -rf $(BUILD) $(VG_BUILD) $(FUZZ_BUILD) $(REL_BUILD)
