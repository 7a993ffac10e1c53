# The one Makefile (GNU make). Each part adds its own rules in a fragment
# it owns (faultinject/build.mk, wrap/build.mk, servers/build.mk, tests/*.mk,
# man/build.mk, debian/build.mk) and hooks them into the targets below by
# appending to the *_RUN lists. A missing fragment is an error (include, not -include). The
# fragments can be read in any order: the names one fragment builds and
# others use are set here, before any fragment; any other name of another
# fragment is written $$(NAME) in a prerequisite list (expanded when make
# runs the rule, after every fragment was read: .SECONDEXPANSION below).
#
# Honours CC, CFLAGS, CPPFLAGS, LDFLAGS, PREFIX, LIBDIR, FI_SHIMDIR, DESTDIR, SANITIZE (e.g.
# SANITIZE=address,undefined or SANITIZE=thread) and -j.

CC      ?= cc
CFLAGS  ?= -O2 -g
CPPFLAGS ?=
LDFLAGS ?=
PREFIX  ?= /usr/local
# libwrap.a and pkgconfig/wrap.pc go to LIBDIR, libfaultinject.so to
# FI_SHIMDIR (compiled into faultrun). debian/rules sets a multiarch LIBDIR
# and a private FI_SHIMDIR (the shim has no SONAME: it is never linked).
LIBDIR  ?= $(PREFIX)/lib
FI_SHIMDIR ?= $(LIBDIR)
DESTDIR ?=
SANITIZE ?=

comma := ,
# Objects of a sanitized or coverage build never mix with a plain one.
ifeq ($(origin BUILD),undefined)
BUILD := build$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))$(if $(COVERAGE),-cov)
endif

SAN_FLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
COV_FLAGS := $(if $(COVERAGE),--coverage -O0)

# Flags every project file is compiled with. WARN is separate so that a
# student's wrap.c (check-wrap WRAP_SRC=) can be built without -Werror.
STD_FLAGS := -std=c11 -D_GNU_SOURCE -pthread
WARN      := -Wall -Wextra -Werror
ALL_CFLAGS  = $(STD_FLAGS) $(WARN) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) $(COV_FLAGS) -MMD -MP
ALL_LDFLAGS = -pthread $(LDFLAGS) $(SAN_FLAGS) $(COV_FLAGS)

# Well-known products, used across fragments.
FI_SO     := $(BUILD)/faultinject/libfaultinject.so
FAULTRUN  := $(BUILD)/faultinject/faultrun
LIBWRAP   := $(BUILD)/wrap/libwrap.a
SERVER_FORK   := $(BUILD)/servers/server_fork
SERVER_THREAD := $(BUILD)/servers/server_thread
CLIENT        := $(BUILD)/servers/client
TEST_SUPPORT_LIB    := $(BUILD)/tests/support/libtestsupport.a
# -iquote: tests/support serves #include "..." only, and every fragment
# uses this one flag, so none of its headers can stand for a system one.
TEST_SUPPORT_CFLAGS := -iquote tests/support
MUTANT_TOOL   := $(BUILD)/tests/mutants/mutant

# How a test binary is run under the shim. A sanitized test binary loads its
# runtime after the preloaded shim, which ASan would otherwise refuse.
SHIM_ENV = LD_PRELOAD=$(abspath $(FI_SO)) ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1

# Memcheck as `make valgrind` runs it; fragments prefix their binaries.
VALGRIND = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
           --error-exitcode=1 --track-fds=no --fair-sched=yes

# Filled by the fragments.
ALL_BIN     :=
TEST_RUN    :=
CHECK_RUN   :=
VALGRIND_RUN :=
BENCH_RUN   :=
MUTANTS_RUN :=
SOAK_RUN    :=
FUZZ_RUN    :=
TSAN_RUN    :=
INSTALL_RUN :=
UNINSTALL_RUN :=

.PHONY: all test test-product check check-wrap check-server mutants coverage valgrind bench \
        soak fuzz tsan install uninstall clean deps deps-test deps-coverage deps-bench \
        realworld deb
.DEFAULT_GOAL := all

.SECONDEXPANSION:
include faultinject/build.mk
include wrap/build.mk
include servers/build.mk
include tests/support.mk
include tests/fi.mk
include tests/go.mk
include tests/wrap.mk
include tests/server.mk
include tests/reliability.mk
include tests/mutants.mk
include man/build.mk
include tests/evloop.mk
include tests/realworld.mk
include debian/build.mk

# README's example of a real bug that faultrun finds.
DEMO := $(BUILD)/demo/oneread
ALL_BIN += $(DEMO)
$(DEMO): $(BUILD)/tests/demo/oneread.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# What a traced call costs (faultinject.md, Backends), in make bench: a
# static ping-pong plain, under the trace backend with a rule naming
# another call and one naming read that never fires, and under strace
# doing the same (scripts/bench_trace.sh). No static link with SANITIZE.
PINGPONG := $(BUILD)/tests/bench/pingpong
$(PINGPONG): tests/bench/pingpong.c
	@mkdir -p $(dir $@)
	$(CC) -static $(STD_FLAGS) $(WARN) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LDFLAGS)
.PHONY: trace-bench
ifeq ($(SANITIZE),)
ALL_BIN += $(PINGPONG)
trace-bench: $(PINGPONG) $(FAULTRUN)
	sh scripts/bench_trace.sh $(PINGPONG) $(FAULTRUN) 30000 5
else
trace-bench:
	@echo "trace-bench: skipped (no static link of a SANITIZE=$(SANITIZE) build)"
endif
BENCH_RUN += trace-bench

all: $(ALL_BIN)

# Each part's runner is run in turn (not in parallel: they share two cores
# and time-sensitive servers), every one even after a failure, and the
# target fails if any failed.
define run_each
	+@fail=; for t in $(1); do \
	  $(MAKE) --no-print-directory $$t || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then echo "FAILED:$$fail"; exit 1; fi
endef

deps deps-test:
	@sh scripts/deps.sh cmocka valgrind mandoc musl go
deps-bench:
	@sh scripts/deps.sh bench
deps-coverage:
	@sh scripts/deps.sh cmocka valgrind mandoc musl go lcov

test: deps-test all
	$(call run_each,$(TEST_RUN))

# The suites that exercise the product (not the judge's own selftests on
# the course fixtures, the soak or the lint checks): what the coverage and
# the sanitizer runs need (`make SANITIZE=address,undefined test-product`).
PRODUCT_TEST_RUN = $(filter-out wrap-selftest server-verdicts soak-short mutants-check man-lint,$(TEST_RUN))
test-product: deps-test all
	$(call run_each,$(PRODUCT_TEST_RUN))

check: deps-test all
	$(call run_each,$(CHECK_RUN))

valgrind: deps-test all
	$(call run_each,$(VALGRIND_RUN))

bench: deps-bench all
	$(call run_each,$(BENCH_RUN))

mutants: deps-test all
	$(call run_each,$(MUTANTS_RUN))

soak: deps-test all
	$(call run_each,$(SOAK_RUN))

fuzz:
	$(call run_each,$(FUZZ_RUN))

# The threaded parts, meant for SANITIZE=thread (the thread server and the
# shim's threaded tests); fragments append to TSAN_RUN.
tsan: deps-test all
	$(call run_each,$(TSAN_RUN))

install: all
	$(call run_each,$(INSTALL_RUN))

uninstall:
	$(call run_each,$(UNINSTALL_RUN))

# Coverage: a separate --coverage build, the whole test suite run in it,
# then lcov (branch coverage on) over the product's own sources only.
COV_BUILD := build-cov
# The suites that exercise the product; the judge's own selftests
# (wrap-selftest, server-verdicts), the soak and the lint checks run in
# `make test` and add little coverage for their minutes at -O0.
COV_TEST_RUN = $(PRODUCT_TEST_RUN)
COV_INFO  := coverage/coverage.info
coverage: deps-coverage
	rm -rf $(COV_BUILD) coverage/html $(COV_INFO)
	$(MAKE) --no-print-directory COVERAGE=1 BUILD=$(COV_BUILD) TEST_RUN='$(COV_TEST_RUN)' test
	lcov --quiet --capture --directory $(COV_BUILD) --rc lcov_branch_coverage=1 \
	     --output-file $(COV_INFO).raw
	lcov --quiet --rc lcov_branch_coverage=1 --extract $(COV_INFO).raw \
	     '$(CURDIR)/faultinject/*' '$(CURDIR)/wrap/*' '$(CURDIR)/servers/*' \
	     --output-file $(COV_INFO)
	rm -f $(COV_INFO).raw
	genhtml --quiet --branch-coverage --output-directory coverage/html $(COV_INFO)
	@for d in faultinject wrap servers; do \
	  echo "== $$d"; \
	  lcov --rc lcov_branch_coverage=1 --extract $(COV_INFO) "$(CURDIR)/$$d/*" \
	       --output-file coverage/$$d.info >/dev/null 2>&1 && \
	  lcov --rc lcov_branch_coverage=1 --summary coverage/$$d.info 2>&1 | grep -E 'lines|branches'; \
	done
	@echo "== total"; lcov --rc lcov_branch_coverage=1 --summary $(COV_INFO) 2>&1 | grep -E 'lines|functions|branches'
	@echo "HTML report: coverage/html/index.html"

clean:
	rm -rf build build-* coverage/html coverage/*.info

# Object rule shared by every fragment: build/<dir>/<name>.o from <dir>/<name>.c
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
