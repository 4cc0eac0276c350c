# Thin wrapper around meson/ninja (meson is the build system).
#   make            build (ASan/UBSan, warnings are errors)
#   make check      install missing dependencies, build, run every test
#   make storyline  the main job: the documented storyline on a netns testbed
BUILD      ?= build
MESON_OPTS ?= -Db_sanitize=address,undefined
SHARED_DIR ?= $(abspath ../shared)

.PHONY: all deps check storyline clean

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
	$(BUILD)/qspn/cli/qspnctl ipcalc --topology 4.2.2.2 3.0.1.0

clean:
	rm -rf $(BUILD)
