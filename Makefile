# hdc-reportd: the entry points. `make demo` and `make test` install what is
# missing (Debian 12 packages), build, and run.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
WIN_BUILD ?= build-windows
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# Debian packages the build, the tests and the demo need.
PACKAGES := cmake g++ make pkg-config git libpoco-dev nlohmann-json3-dev libsqlite3-dev \
            libspdlog-dev libfmt-dev doctest-dev sqlite3 curl cabextract clang-format clang-tidy \
            g++-mingw-w64-x86-64-posix strace systemd time python3

# Installed by `make test` when it can be (the browser test of the
# dashboard, e2e.dashboard_browser_test, skips without it).
TEST_PACKAGES := chromium

# Extra packages for the Windows build and its tests (make windows,
# test-windows, package-windows): the MinGW-w64 cross compiler, Wine to run
# the .exe files, tcl for SQLite's amalgamation, msitools (wixl) for the MSI,
# zip for the ZIP.
WINDOWS_PACKAGES := g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 wine wine64 libwine \
                    fonts-wine tcl msitools wixl zip ca-certificates patch

# Extra packages for the benchmarks' reference peers.
BENCH_PACKAGES := nginx-light wrk time openssl

# Extra packages for `make fuzz`: clang with libFuzzer and the sanitizer runtimes.
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

# Extra packages for `make package` and its tests: man pages (scdoc), the
# .deb's computed Depends (dpkg-dev, file), the rpm (rpm has rpmbuild), the
# linters, man page rendering, and adduser for the dpkg -i test.
PACKAGE_DEPS := scdoc dpkg-dev file rpm lintian rpmlint groff-base man-db adduser
# `make install` target prefix; DESTDIR is honoured.
PREFIX ?= /usr/local

.PHONY: all deps bench-deps build test demo asan-build asan tsan bench format format-check lint clean \
        package-deps package install test-package windows-deps windows test-windows \
        package-windows torture fuzz-deps fuzz

all: build

# Installs exactly the missing packages; as root directly, otherwise through
# sudo (non-interactive); idempotent.
deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; exit 0; fi; \
	echo "deps: installing" $$missing; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; \
	else echo "deps: missing packages:" $$missing; \
	     echo "deps: run as root or with sudo rights: apt-get install" $$missing; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	@$(MAKE) --no-print-directory deps PACKAGES="$(TEST_PACKAGES)" || \
	  echo "deps: chromium is not installed: e2e.dashboard_browser_test will be skipped"
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (asan-build only builds the tree). The arch checks read the source tree,
# not the build, and run in `make test`.
asan-build: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DHDC_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

asan: asan-build
	cd $(ASAN_BUILD) && \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE '^arch$$'

# The suite under ThreadSanitizer: each report is also kept as a file under
# $(TSAN_BUILD)/tsan-reports (one per process), and any report fails the run.
# Suppressions, each with its reason, are in tests/tsan.supp. The folder is
# world-writable (sticky) because as root the e2e scripts run the binaries as
# an unprivileged user, whose reports would otherwise be lost. A file there
# from a test that crashes a process on purpose ("ERROR: ThreadSanitizer:
# SEGV") is not a finding: only "WARNING: ThreadSanitizer" reports count.
tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DHDC_TSAN=ON $(CMAKE_FLAGS)
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	rm -rf $(TSAN_BUILD)/tsan-reports && mkdir -m 1777 -p $(TSAN_BUILD)/tsan-reports
	cd $(TSAN_BUILD) && \
	  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp:log_path=$(CURDIR)/$(TSAN_BUILD)/tsan-reports/report \
	  ctest --output-on-failure -j $(JOBS); rc=$$?; \
	  found=$$(grep -l 'WARNING: ThreadSanitizer' tsan-reports/* 2>/dev/null); \
	  reports=$$(printf '%s' "$$found" | grep -c .); \
	  echo "tsan: $$reports report(s) in $(TSAN_BUILD)/tsan-reports"; \
	  for f in $$found; do grep -m1 -A12 'WARNING: ThreadSanitizer' "$$f"; done; \
	  [ $$rc = 0 ] && [ $$reports = 0 ]

# Torture (docs/reliability.md §Torture tests): hdc-reportd killed with
# SIGKILL at random moments under emulator faults, TORTURE_TRIALS trials
# (TORTURE_SEED and TORTURE_FAULT_RATE are passed through from the
# environment); then EIO and ENOSPC at every point of a download run
# (SWEEP_STRIDE, default 1); then the soak: 7 emulated days, 10 jobs, 30 %
# faults (SOAK_DAYS, SOAK_JOBS, SOAK_FAULT_RATE); then `make tsan`. Each prints
# its figures and violations; the first failure stops the target.
TORTURE_TRIALS ?= 2000
SWEEP_STRIDE ?= 1
torture: build
	TORTURE_TRIALS=$(TORTURE_TRIALS) bash tests/torture/random_kills.sh $(BUILD)/daemon/hdc-reportd $(CURDIR)
	SWEEP_STRIDE=$(SWEEP_STRIDE) bash tests/torture/syscall_sweep.sh $(BUILD)/daemon/hdc-reportd $(CURDIR)
	bash tests/torture/soak.sh $(BUILD)/daemon/hdc-reportd $(CURDIR)
	$(MAKE) --no-print-directory tsan

# Coverage-guided fuzzing (tests/fuzz/): a clang tree with libFuzzer, ASan and
# UBSan, every target run for FUZZ_SECONDS from a scratch copy of the
# committed corpus; findings land in $(FUZZ_BUILD)/fuzz-work/ and fail the run.
fuzz-deps:
	@$(MAKE) --no-print-directory deps PACKAGES="$(FUZZ_PACKAGES)"

fuzz: deps fuzz-deps
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DHDC_FUZZ=ON -DHDC_UNITY=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) --target fuzz_all -j $(JOBS)
	bash tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Speed, measured side by side with reference tools (never a timed test).
bench-deps:
	@$(MAKE) --no-print-directory deps PACKAGES="$(BENCH_PACKAGES)"

bench: build bench-deps
	bash bench/emulator_vs_nginx.sh $(BUILD)/emulator/hdc-emulator || true
	bash bench/bench_ingest.sh $(BUILD)/bench/bench_ingest || true
	bash bench/bench_download.sh $(BUILD) || true
	bash bench/bench_catchup.sh $(BUILD) || true
	bash bench/bench_sweep.sh $(BUILD)/bench/bench_sweep || true
	bash bench/bench_queries.sh $(BUILD) || true
	bash bench/bench_idle.sh $(BUILD) || true

# DEB and RPM packages (CPack) in $(BUILD)/packages/ (-DHDC_PACKAGE_OUTPUT_DIR=
# in CMAKE_FLAGS moves them); the tree is configured for prefix /usr.
package-deps:
	@$(MAKE) --no-print-directory deps PACKAGES="$(PACKAGE_DEPS)"

package: deps package-deps
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=/usr $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && cpack

# make install [PREFIX=/usr/local] [DESTDIR=/staging]: stripped, like the
# packages; cmake/install.cmake says where each file goes.
install: deps
	@$(MAKE) --no-print-directory deps PACKAGES="scdoc"
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --strip

# The packages from the outside (tests/package/): man pages against --help and
# the config key table, lintian, rpmlint, dpkg -x and --once against the
# emulator, a dpkg -i/-r/-P cycle when run as root, make install layouts.
test-package: package
	cd $(BUILD) && ctest --output-on-failure -L '^package$$'
	bash tests/package/package_test.sh . $(BUILD)/packages
	bash tests/package/install_test.sh . $(BUILD)

# Windows, cross-built on Linux: the static dependencies are built once into
# a cache keyed by their versions (cmake/windows/build-deps.sh prints where),
# then one CMake tree with the MinGW-w64 toolchain file builds every .exe.
windows-deps:
	@$(MAKE) --no-print-directory deps PACKAGES="$(PACKAGES) $(WINDOWS_PACKAGES)"

windows: windows-deps
	@windeps=$$(bash cmake/windows/build-deps.sh) && \
	cmake -S . -B $(WIN_BUILD) -DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/windows/mingw-w64.cmake \
	  -DHDC_WINDEPS="$$windeps" -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) && \
	cmake --build $(WIN_BUILD) -j $(JOBS)

# The Windows suite under Wine: unit, integration and emulator tests, and the
# end-to-end runs of the .exe files against the native emulator (tests/windows/).
test-windows: build windows
	bash tests/windows/run_suite.sh $(WIN_BUILD) $(BUILD)

# The Windows packages: a ZIP and an MSI (wixl), into $(WIN_BUILD)/packages/.
package-windows: windows
	bash packaging/windows/build_packages.sh $(WIN_BUILD) . $(WIN_BUILD)/packages

demo: build
	bash tests/demo/run_demo.sh $(BUILD)

format: deps
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

# Fails, naming each file, when clang-format would change one (CI runs it).
format-check: deps
	git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror

# clang-tidy with the curated .clang-tidy files (the root's, and daemon/'s
# function-size limit) over the daemon and emulator sources; zero findings.
# It reads one compile command per file, so it gets a tree of its own,
# configured without unity batches and never built.
LINT_BUILD ?= build-lint
lint: deps
	cmake -S . -B $(LINT_BUILD) -DHDC_UNITY=OFF $(CMAKE_FLAGS) >/dev/null
	run-clang-tidy -p $(LINT_BUILD) -j $(JOBS) -quiet \
	  $(addprefix $(CURDIR)/,$(shell git ls-files 'daemon/*.cpp' 'emulator/*.cpp')) \
	  > $(LINT_BUILD)/lint.log 2>&1 || { grep -E 'warning|error' $(LINT_BUILD)/lint.log; exit 1; }
	@echo "lint: clang-tidy found nothing in $$(git ls-files 'daemon/*.cpp' 'emulator/*.cpp' | wc -l) files"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(WIN_BUILD) $(FUZZ_BUILD) $(LINT_BUILD)
