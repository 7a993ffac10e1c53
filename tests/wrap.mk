# tests/wrap.mk: the wrap conformance suite (tests/wrap/), its Valgrind run
# and the Readline benchmark (its mutants: tests/mutants.mk).
#
#   make check-wrap                    the suite against wrap/wrap.c
#   make check-wrap WRAP_SRC=their.c   ... against any single C file
#        [WRAP_ONLY=L2_long_line_split_nothing_lost|L2|L2_,...]  some tests
#        [REPORT=junit:FILE|tap:FILE]  one testcase per clause for CI
#   make wrap-selftest                 check-wrap's verdicts on fixtures
#   make wrap-test                     the same as check-wrap on ours
#   make wrap-valgrind, make wrap-bench

# The suite's test files (tests/wrap/test_wrap_NAME.c), defined here only:
# they are compiled from this list and scripts/check-wrap.sh runs this list.
WRAP_TESTS     := startup read readn readline split conn signal thread mem
WRAP_TEST_DIR  := $(BUILD)/tests/wrap
WRAP_TEST_SRCS := $(patsubst %,tests/wrap/test_wrap_%.c,$(WRAP_TESTS)) \
                  tests/wrap/wrapjudge.c tests/wrap/wtest.c
# From tests/support the suite links only netsock.o, whose external names
# all start with fi_ (a candidate may define any other name).
WRAP_SUPPORT_OBJS := $(BUILD)/tests/support/netsock.o
WRAP_OWN_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(WRAP_TEST_SRCS))
WRAP_TEST_OBJS := $(WRAP_OWN_OBJS) $(WRAP_SUPPORT_OBJS)
$(WRAP_OWN_OBJS): ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

# A candidate is compiled like our code but without -Werror (and without
# coverage: only our own wrap.o is measured).
# No feature macro of ours (-D_GNU_SOURCE breaks textbook code: CS:APP's
# gai_error); the system headers a course wrap.h brings in are pre-included
# (tests/wrap/course_headers.h), as the candidate's own header would.
WRAP_CAND_CFLAGS = $(filter-out -D_GNU_SOURCE,$(STD_FLAGS)) -D_POSIX_C_SOURCE=200809L \
                   -D_DEFAULT_SOURCE -include $(abspath tests/wrap/course_headers.h) \
                   -Wall -Wextra $(CFLAGS) $(SAN_FLAGS)

# Each test runs under its own deadline, all at once: a hang fails in 10 s.
# Sanitized and coverage builds are slower: a longer deadline, fewer tests
# at once (one test file at a time, 4 of its tests at once).
ifneq ($(strip $(SANITIZE)$(COVERAGE)),)
WRAP_TIMEOUT ?= 60
WRAP_PACE     = WRAP_SERIAL=1 WRAP_JOBS=4
else
WRAP_TIMEOUT ?= 10
WRAP_PACE     =
endif
# Forked test children leave by _exit after __gcov_dump (tests/wrap/wrapjudge.c),
# which a --coverage link must then pull in.
WRAP_LINK_FLAGS  = $(ALL_LDFLAGS) $(if $(COVERAGE),-Wl$(comma)-u$(comma)__gcov_dump)

# Where a WRAP_SRC run builds: its own directory, named after the file.
wrap_cand_dir = $(BUILD)/check-wrap/$(subst /,_,$(subst .,_,$(patsubst /%,%,$(abspath $(1)))))

WRAP_CHECK_ENV = CC='$(CC)' CAND_CFLAGS='$(WRAP_CAND_CFLAGS)' \
  LINK_FLAGS='$(WRAP_LINK_FLAGS)' OBJDIR='$(WRAP_TEST_DIR)' SUPPORT_OBJS='$(WRAP_SUPPORT_OBJS)' \
  SHIM='$(abspath $(FI_SO))' \
  WRAP_TESTS='$(WRAP_TESTS)' WRAP_HDR=wrap/wrap.h STUBS_SRC=tests/wrap/stubs.c \
  WRAP_ONLY='$(WRAP_ONLY)' REPORT='$(REPORT)' REPORT_TOOL='$(abspath $(REPORT_TOOL))' \
  WRAP_TIMEOUT='$(WRAP_TIMEOUT)' $(WRAP_PACE)

CHECK_RUN    += check-wrap
TEST_RUN     += wrap-test wrap-selftest
VALGRIND_RUN += wrap-valgrind
BENCH_RUN    += wrap-bench
TSAN_RUN     += wrap-test

.PHONY: check-wrap wrap-test wrap-valgrind wrap-bench wrap-test-objs wrap-selftest

wrap-test-objs: $(WRAP_TEST_OBJS)

# The report (REPORT=) is written by the judges' one writer (tests/support.mk).
check-wrap wrap-test wrap-valgrind wrap-selftest: $(REPORT_TOOL)

ifneq ($(strip $(WRAP_SRC)),)
check-wrap: $(WRAP_TEST_OBJS) $(FI_SO)
	@$(WRAP_CHECK_ENV) WRAP_SRC='$(WRAP_SRC)' OUTDIR='$(call wrap_cand_dir,$(WRAP_SRC))' \
	  sh scripts/check-wrap.sh
else
check-wrap: wrap-test
endif

wrap-test: $(WRAP_TEST_OBJS) $(FI_SO) $(LIBWRAP)
	@$(WRAP_CHECK_ENV) CAND_OBJ='$(BUILD)/wrap/wrap.o' OUTDIR='$(WRAP_TEST_DIR)/ours' \
	  WRAP_SRC= sh scripts/check-wrap.sh

# Memcheck with every leak kind shown; smaller iteration counts (WRAP_SLOW).
# M1 is also checked inside (Valgrind's own block count, test_wrap_mem.c).
wrap-valgrind: $(WRAP_TEST_OBJS) $(FI_SO) $(LIBWRAP)
	@$(WRAP_CHECK_ENV) CAND_OBJ='$(BUILD)/wrap/wrap.o' OUTDIR='$(WRAP_TEST_DIR)/valgrind' \
	  WRAP_SRC= WRAP_SLOW=1 WRAP_TIMEOUT=300 WRAP_SERIAL=1 WRAP_JOBS=2 \
	  RUNNER='$(VALGRIND) --show-leak-kinds=all' \
	  sh scripts/check-wrap.sh

# check-wrap's own test: the exact verdict table (which rows FAIL, PASS or
# are NOT JUDGED, and the kind of reason) for the course-style fixtures in
# tests/wrap/course/, each against its expected.txt.
wrap-selftest: $(WRAP_TEST_OBJS) $(FI_SO)
	@$(WRAP_CHECK_ENV) BUILDDIR='$(BUILD)/check-wrap' sh tests/wrap/course/selftest.sh

# ---- benchmark (not a test) ----
WRAP_BENCH := $(BUILD)/tests/bench/bench_readline

$(WRAP_BENCH): $(BUILD)/tests/bench/bench_readline.o $(LIBWRAP)
	$(CC) -o $@ $^ $(ALL_LDFLAGS)

wrap-bench: $(WRAP_BENCH)
	$(WRAP_BENCH)
