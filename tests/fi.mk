# tests/fi.mk: the fault injector's tests (cmocka), valgrind run and bench.
# fi-test: test_rules, test_names and test_logparse (parsers alone), test_noshim (no
# shim: ENOSYS), test_shim_faults/_options/_promises (one per part of the
# spec; their helpers in shimtest.c), test_fortify, test_readiness (waits),
# test_xfer (sendfile, splice, mmsg, datagrams) and test_possible (eagain
# only where possible, stall, peer=/local=) under $(SHIM_ENV); test_faultrun,
# test_summary, test_sweep, test_replay, test_shrink (faultrun as users run it).

FI_TDIR := $(BUILD)/tests/fi
FI_TEST_RULES   := $(FI_TDIR)/test_rules
# The decision as a unit (common/decide.c), no interposer linked.
FI_TEST_ENGINE  := $(FI_TDIR)/test_engine
# names.h's tables whole and read back (test_names); fi_names prints them
# for man-lint (man/build.mk) to check man faultrun's lists against.
FI_TEST_NAMES   := $(FI_TDIR)/test_names
FI_NAMES_LIST   := $(FI_TDIR)/fi_names
FI_TEST_SHIM    := $(FI_TDIR)/test_shim_faults $(FI_TDIR)/test_shim_options \
                   $(FI_TDIR)/test_shim_promises
FI_TEST_FORTIFY := $(FI_TDIR)/test_fortify
FI_TEST_NOSHIM  := $(FI_TDIR)/test_noshim
FI_TEST_RUN     := $(FI_TDIR)/test_faultrun
FI_PROG         := $(FI_TDIR)/fi_prog
# In-process shim tests beyond test_shim_*: one binary each, same recipe.
FI_SHIM_MORE    := $(FI_TDIR)/test_readiness $(FI_TDIR)/test_xfer $(FI_TDIR)/test_possible \
                   $(FI_TDIR)/test_faithful
# faultrun's end-of-run summary, sweep, replay, and the log parser alone;
# fr_prog and fr_static are COMMANDs they run (raw syscalls, stdio, forks;
# a statically linked program).
FI_TEST_SUMMARY  := $(FI_TDIR)/test_summary
FI_TEST_SWEEP    := $(FI_TDIR)/test_sweep
FI_TEST_REPLAY   := $(FI_TDIR)/test_replay
# --shrink; fr_twofault is its COMMAND (a known two-fault bug, flaky, hanging).
FI_TEST_SHRINK   := $(FI_TDIR)/test_shrink
FR_TWOFAULT      := $(FI_TDIR)/fr_twofault
FI_TEST_LOGPARSE := $(FI_TDIR)/test_logparse
# Sandboxes, closers, datagrams beside streams, peers that reset: fr_life
# is their COMMAND.
FI_TEST_LIFE     := $(FI_TDIR)/test_life
# eintr only where a signal could interrupt: its own COMMAND ("child CASE").
FI_TEST_EINTR    := $(FI_TDIR)/test_eintr
# The trace backend on a static COMMAND (fr_tstatic), log read back with
# the common parser.
FI_TEST_TRACE    := $(FI_TDIR)/test_trace
FR_TSTATIC       := $(FI_TDIR)/fr_tstatic
# The same COMMAND built by musl-gcc -static (Debian's musl-tools).
FR_TSTATIC_MUSL  := $(FI_TDIR)/fr_tstatic_musl
# The trace backend's data path (short on every data call, the write
# room, readiness): test_trace_io on fr_tio, built as fr_tstatic is.
FI_TEST_TRACE_IO := $(FI_TDIR)/test_trace_io
FR_TIO           := $(FI_TDIR)/fr_tio
FR_TIO_MUSL      := $(FI_TDIR)/fr_tio_musl
# The trace backend's per-descriptor options (per=fd, after=, peer=,
# local=): test_trace_state on fr_tstate, static twice as fr_tio, and
# dynamic (fr_tstate_dyn) for the shim to agree with.
FI_TEST_TRACE_STATE := $(FI_TDIR)/test_trace_state
FR_TSTATE        := $(FI_TDIR)/fr_tstate
FR_TSTATE_MUSL   := $(FI_TDIR)/fr_tstate_musl
FR_TSTATE_DYN    := $(FI_TDIR)/fr_tstate_dyn
# The EPOLLET re-arm (tracearm.c): test_trace_arm on fr_tarm, built as fr_tio is.
FI_TEST_TRACE_ARM := $(FI_TDIR)/test_trace_arm
FR_TARM          := $(FI_TDIR)/fr_tarm
FR_TARM_MUSL     := $(FI_TDIR)/fr_tarm_musl
# A Go HTTP server and client under the trace backend (their build: tests/go.mk).
FI_TEST_TRACE_GO := $(FI_TDIR)/test_trace_go
# The process lifecycle under trace (fork, vfork+exec, threads, SIGURG
# storms, faultrun killed): test_trace_life on fr_tlife, built as
# fr_tstatic is and once more dynamic under -fsanitize=thread.
FI_TEST_TRACE_LIFE := $(FI_TDIR)/test_trace_life
FR_TLIFE         := $(FI_TDIR)/fr_tlife
FR_TLIFE_MUSL    := $(FI_TDIR)/fr_tlife_musl
FR_TLIFE_TSAN    := $(FI_TDIR)/fr_tlife_tsan
FR_LIFE          := $(FI_TDIR)/fr_life
FR_PROG          := $(FI_TDIR)/fr_prog
FR_STATIC        := $(FI_TDIR)/fr_static
FI_RUN_SUITES := $(FI_TEST_RUN) $(FI_TEST_SUMMARY) $(FI_TEST_SWEEP) $(FI_TEST_REPLAY) \
                 $(FI_TEST_LIFE) $(FI_TEST_EINTR) $(FI_TEST_TRACE) $(FI_TEST_SHRINK) \
                 $(FI_TEST_TRACE_IO) $(FI_TEST_TRACE_LIFE) $(FI_TEST_TRACE_STATE) \
                 $(FI_TEST_TRACE_ARM) $(FI_TEST_TRACE_GO)
FI_TESTS := $(FI_TEST_RULES) $(FI_TEST_ENGINE) $(FI_TEST_NAMES) $(FI_NAMES_LIST) $(FI_TEST_SHIM) \
            $(FI_TEST_FORTIFY) $(FI_TEST_NOSHIM) \
            $(FI_RUN_SUITES) $(FI_TEST_LOGPARSE) $(FI_PROG) $(FR_PROG) $(FR_STATIC) $(FR_TSTATIC) $(FR_TSTATIC_MUSL) $(FR_LIFE) \
            $(FR_TIO) $(FR_TIO_MUSL) $(FR_TLIFE) $(FR_TLIFE_MUSL) $(FR_TLIFE_TSAN) \
            $(FI_TEST_TRACE_STATE) $(FR_TSTATE) $(FR_TSTATE_MUSL) $(FR_TSTATE_DYN) \
            $(FR_TARM) $(FR_TARM_MUSL) \
            $(FR_TWOFAULT) $(FI_SHIM_MORE)

# A call a signal interrupts, restarted or retried, under both backends:
# test_trace_restart on fr_trestart (static: glibc, musl; and dynamic).
FI_TEST_TRACE_RESTART := $(FI_TDIR)/test_trace_restart
FR_TRESTART      := $(FI_TDIR)/fr_trestart
FR_TRESTART_MUSL := $(FI_TDIR)/fr_trestart_musl
FR_TRESTART_DYN  := $(FI_TDIR)/fr_trestart_dyn
FI_RUN_SUITES += $(FI_TEST_TRACE_RESTART)
FI_TESTS += $(FI_TEST_TRACE_RESTART) $(FR_TRESTART) $(FR_TRESTART_MUSL) $(FR_TRESTART_DYN)
# test_shrink's two-fault COMMAND built -static (glibc, musl): shrink under trace.
FR_TWOFAULT_STATIC := $(FI_TDIR)/fr_twofault_static
FR_TWOFAULT_MUSL   := $(FI_TDIR)/fr_twofault_musl
FI_TESTS += $(FR_TWOFAULT_STATIC) $(FR_TWOFAULT_MUSL)
# An injected eagain on accept/accept4 re-arms the EPOLLET listener, both
# backends: test_accept_arm on fr_taccept (static: glibc, musl, for trace;
# dynamic, for the shim).
FI_TEST_ACCEPT_ARM := $(FI_TDIR)/test_accept_arm
FR_TACCEPT       := $(FI_TDIR)/fr_taccept
FR_TACCEPT_MUSL  := $(FI_TDIR)/fr_taccept_musl
FR_TACCEPT_DYN   := $(FI_TDIR)/fr_taccept_dyn
FI_RUN_SUITES += $(FI_TEST_ACCEPT_ARM)
FI_TESTS += $(FI_TEST_ACCEPT_ARM) $(FR_TACCEPT) $(FR_TACCEPT_MUSL) $(FR_TACCEPT_DYN)

$(FI_TDIR)/%.o: ALL_CFLAGS += -Ifaultinject -Ifaultinject/common $(TEST_SUPPORT_CFLAGS) \
    -DFI_BUILD_DIR='"$(abspath $(BUILD))"' -DFI_SRC_DIR='"$(abspath .)"'
# A hardened build calls __read_chk and friends: keep -O2 even under
# coverage's -O0, so that _FORTIFY_SOURCE takes effect.
$(FI_TDIR)/test_fortify.o: ALL_CFLAGS += -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2

ALL_BIN += $(FI_TESTS)

$(FI_TEST_RULES): $(FI_TDIR)/test_rules.o $$(FI_RULES_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(FI_TEST_ENGINE): $(FI_TDIR)/test_engine.o $$(FI_DECIDE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(FI_TEST_NAMES): $(FI_TDIR)/test_names.o $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(FI_NAMES_LIST): $(FI_TDIR)/fi_names.o $(BUILD)/faultinject/common/names.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
# The in-process shim tests share shimtest.o (fixtures, call families,
# descriptors); every suite's helpers are fiutil.o on tests/support.
$(FI_TEST_SHIM) $(FI_TEST_FORTIFY) $(FI_SHIM_MORE): %: %.o $(FI_TDIR)/shimtest.o \
    $(FI_TDIR)/fiutil.o $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_NOSHIM): $(FI_TDIR)/test_noshim.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_RUN): $(FI_TDIR)/test_faultrun.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_SUMMARY) $(FI_TEST_SWEEP) $(FI_TEST_REPLAY) $(FI_TEST_LIFE) $(FI_TEST_EINTR): $(FI_TDIR)/%: $(FI_TDIR)/%.o \
        $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_TRACE): $(FI_TDIR)/test_trace.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_TRACE_LIFE): $(FI_TDIR)/test_trace_life.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_TRACE_IO) $(FI_TEST_TRACE_ARM) $(FI_TEST_TRACE_GO): $(FI_TDIR)/%: $(FI_TDIR)/%.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_TRACE_STATE): $(FI_TDIR)/test_trace_state.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FR_TSTATE_DYN): $(FI_TDIR)/fr_tstate.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FI_TEST_LOGPARSE): $(FI_TDIR)/test_logparse.o $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(FR_PROG): $(FI_TDIR)/fr_prog.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FR_LIFE): $(FI_TDIR)/fr_life.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FR_TWOFAULT): $(FI_TDIR)/fr_twofault.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FI_TEST_SHRINK): $(FI_TDIR)/test_shrink.o $(FI_TDIR)/frtest.o $(FI_TDIR)/fiutil.o \
        $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl -lm
# Static on purpose (faultrun must refuse it), so without the sanitizers'
# and coverage's flags, which need the dynamic loader.
$(FR_STATIC): tests/fi/fr_static.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -o $@ $<
$(FR_TSTATIC): tests/fi/fr_tstatic.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TSTATIC_MUSL): tests/fi/fr_tstatic.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TIO): tests/fi/fr_tio.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TIO_MUSL): tests/fi/fr_tio.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TSTATE): tests/fi/fr_tstate.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TSTATE_MUSL): tests/fi/fr_tstate.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TARM): tests/fi/fr_tarm.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TARM_MUSL): tests/fi/fr_tarm.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TLIFE): tests/fi/fr_tlife.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<
$(FR_TLIFE_MUSL): tests/fi/fr_tlife.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -pthread -o $@ $<
# TSan needs the dynamic loader: this one runs under --backend=trace.
$(FR_TLIFE_TSAN): tests/fi/fr_tlife.c
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=thread -O1 -g -Wall -Wextra -Werror -pthread -o $@ $<
$(FI_TEST_TRACE_RESTART): $(FI_TDIR)/test_trace_restart.o $(FI_TDIR)/frtest.o \
        $(FI_TDIR)/fiutil.o $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FR_TRESTART): tests/fi/fr_trestart.c
	@mkdir -p $(dir $@)
	$(CC) -static -pthread -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TRESTART_MUSL): tests/fi/fr_trestart.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TWOFAULT_STATIC): tests/fi/fr_twofault.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TWOFAULT_MUSL): tests/fi/fr_twofault.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TRESTART_DYN): $(FI_TDIR)/fr_trestart.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FI_TEST_ACCEPT_ARM): $(FI_TDIR)/test_accept_arm.o $(FI_TDIR)/frtest.o \
        $(FI_TDIR)/fiutil.o $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FR_TACCEPT): tests/fi/fr_taccept.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TACCEPT_MUSL): tests/fi/fr_taccept.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 -Wall -Wextra -Werror -o $@ $<
$(FR_TACCEPT_DYN): $(FI_TDIR)/fr_taccept.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(FI_PROG): $(FI_TDIR)/fi_prog.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -ldl

.PHONY: fi-test fi-valgrind fi-tsan fi-bench
FI_BENCH_PAIRS ?= 1000000
TEST_RUN     += fi-test
VALGRIND_RUN += fi-valgrind
TSAN_RUN     += fi-tsan
BENCH_RUN    += fi-bench

# Each binary runs under a 60 s guard so that a hang fails fast.
FI_GUARD := timeout -k 5 60

fi-test: $(FI_TESTS) $(FI_SO) $(FAULTRUN)
	@fail=; \
	$(FI_GUARD) $(FI_TEST_RULES) || fail="$$fail test_rules"; \
	$(FI_GUARD) $(FI_TEST_ENGINE) || fail="$$fail test_engine"; \
	$(FI_GUARD) $(FI_TEST_NAMES) || fail="$$fail test_names"; \
	$(FI_GUARD) $(FI_TEST_NOSHIM) || fail="$$fail test_noshim"; \
	for t in $(FI_TEST_SHIM); do \
	    $(SHIM_ENV) $(FI_GUARD) $$t || fail="$$fail $$(basename $$t)"; done; \
	$(SHIM_ENV) $(FI_GUARD) $(FI_TEST_FORTIFY) || fail="$$fail test_fortify"; \
	for t in $(FI_SHIM_MORE); do \
	    $(SHIM_ENV) $(FI_GUARD) $$t || fail="$$fail $$(basename $$t)"; done; \
	$(FI_GUARD) $(FI_TEST_LOGPARSE) || fail="$$fail test_logparse"; \
	for t in $(FI_RUN_SUITES); do \
	  ASAN_OPTIONS=verify_asan_link_order=0 $(FI_GUARD) $$t || fail="$$fail $$(basename $$t)"; done; \
	if [ -n "$$fail" ]; then echo "fi-test FAILED:$$fail"; exit 1; fi; echo "fi-test: all passed"

# Memcheck over the test binaries with the shim preloaded: nothing of the
# shim's may be reported (static storage only, so not even "reachable").
fi-valgrind: $(FI_TESTS) $(FI_SO)
	@fail=; \
	$(VALGRIND) $(FI_TEST_RULES) >/dev/null || fail="$$fail test_rules"; \
	$(VALGRIND) $(FI_TEST_ENGINE) >/dev/null || fail="$$fail test_engine"; \
	for t in $(FI_TEST_SHIM); do LD_PRELOAD=$(abspath $(FI_SO)) FI_UNDER_VALGRIND=1 \
	    $(VALGRIND) $$t || fail="$$fail $$(basename $$t)"; done; \
	LD_PRELOAD=$(abspath $(FI_SO)) $(VALGRIND) $(FI_TEST_FORTIFY) || fail="$$fail test_fortify"; \
	for t in $(FI_SHIM_MORE); do LD_PRELOAD=$(abspath $(FI_SO)) FI_UNDER_VALGRIND=1 \
	    $(VALGRIND) $$t || fail="$$fail $$(basename $$t)"; done; \
	if [ -n "$$fail" ]; then echo "fi-valgrind FAILED:$$fail"; exit 1; fi; echo "fi-valgrind: clean"

# For `make SANITIZE=thread tsan`: the shim's threaded tests (test_readiness
# runs an edge-triggered echo in threads through the interposed waits;
# test_possible signals a stalled read from another thread), under the
# shim; and test_trace_life (fr_tlife_tsan's threads under --backend=trace,
# faultrun itself built with TSan), without it.
FI_TSAN_TESTS := $(FI_TEST_SHIM) $(FI_TDIR)/test_readiness $(FI_TDIR)/test_possible
FI_TSAN_TRACE := $(FI_TEST_TRACE_LIFE)
fi-tsan: $(FI_TSAN_TESTS) $(FI_SO) $(FI_TSAN_TRACE) $(FAULTRUN) $(FR_TLIFE) $(FR_TLIFE_MUSL) \
         $(FR_TLIFE_TSAN) $(FR_TSTATIC) $(FR_TIO) $(FR_PROG)
	@fail=; for t in $(FI_TSAN_TESTS); do \
	    $(SHIM_ENV) $(FI_GUARD) $$t || fail="$$fail $$(basename $$t)"; done; \
	for t in $(FI_TSAN_TRACE); do $(FI_GUARD) $$t || fail="$$fail $$(basename $$t)"; done; \
	if [ -n "$$fail" ]; then echo "fi-tsan FAILED:$$fail"; exit 1; fi

# make bench: not a test; prints ns per write+read pair and ratios to plain.
FI_BENCH := $(BUILD)/tests/bench/bench_shim
ALL_BIN += $(FI_BENCH)
$(BUILD)/tests/bench/bench_shim.o: ALL_CFLAGS += -DFI_SO_PATH='"$(abspath $(FI_SO))"'
$(FI_BENCH): $(BUILD)/tests/bench/bench_shim.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

fi-bench: $(FI_BENCH) $(FI_SO) $(FAULTRUN) $(FI_PROG)
	$(FI_BENCH) $(FI_BENCH_PAIRS)
	sh scripts/bench_sweep.sh $(FAULTRUN) $(FI_PROG)
