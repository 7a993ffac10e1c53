# tests/fi.mk: the fault injector's tests (cmocka), valgrind run and bench.
# fi-test: test_rules (parser alone), test_noshim (no shim: ENOSYS),
# test_shim and test_fortify (under $(SHIM_ENV)), test_faultrun (the CLI).

FI_TDIR := $(BUILD)/tests/fi
FI_TEST_RULES   := $(FI_TDIR)/test_rules
FI_TEST_SHIM    := $(FI_TDIR)/test_shim
FI_TEST_FORTIFY := $(FI_TDIR)/test_fortify
FI_TEST_NOSHIM  := $(FI_TDIR)/test_noshim
FI_TEST_RUN     := $(FI_TDIR)/test_faultrun
FI_PROG         := $(FI_TDIR)/fi_prog
FI_TESTS := $(FI_TEST_RULES) $(FI_TEST_SHIM) $(FI_TEST_FORTIFY) $(FI_TEST_NOSHIM) \
            $(FI_TEST_RUN) $(FI_PROG)

$(FI_TDIR)/%.o: ALL_CFLAGS += -Ifaultinject \
    -DFI_BUILD_DIR='"$(abspath $(BUILD))"'
# A hardened build calls __read_chk and friends: keep -O2 even under
# coverage's -O0, so that _FORTIFY_SOURCE takes effect.
$(FI_TDIR)/test_fortify.o: ALL_CFLAGS += -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2

ALL_BIN += $(FI_TESTS)

$(FI_TEST_RULES): $(FI_TDIR)/test_rules.o $$(FI_RULES_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
$(FI_TEST_SHIM): $(FI_TDIR)/test_shim.o $(FI_TDIR)/fiutil.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_FORTIFY): $(FI_TDIR)/test_fortify.o $(FI_TDIR)/fiutil.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_NOSHIM): $(FI_TDIR)/test_noshim.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
$(FI_TEST_RUN): $(FI_TDIR)/test_faultrun.o $(FI_TDIR)/fiutil.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka -ldl
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
	$(FI_GUARD) $(FI_TEST_NOSHIM) || fail="$$fail test_noshim"; \
	$(SHIM_ENV) $(FI_GUARD) $(FI_TEST_SHIM) || fail="$$fail test_shim"; \
	$(SHIM_ENV) $(FI_GUARD) $(FI_TEST_FORTIFY) || fail="$$fail test_fortify"; \
	ASAN_OPTIONS=verify_asan_link_order=0 $(FI_GUARD) $(FI_TEST_RUN) || fail="$$fail test_faultrun"; \
	if [ -n "$$fail" ]; then echo "fi-test FAILED:$$fail"; exit 1; fi; echo "fi-test: all passed"

# Memcheck over the test binaries with the shim preloaded: nothing of the
# shim's may be reported (static storage only, so not even "reachable").
fi-valgrind: $(FI_TESTS) $(FI_SO)
	@fail=; \
	$(VALGRIND) $(FI_TEST_RULES) >/dev/null || fail="$$fail test_rules"; \
	LD_PRELOAD=$(abspath $(FI_SO)) FI_UNDER_VALGRIND=1 $(VALGRIND) $(FI_TEST_SHIM) || fail="$$fail test_shim"; \
	LD_PRELOAD=$(abspath $(FI_SO)) $(VALGRIND) $(FI_TEST_FORTIFY) || fail="$$fail test_fortify"; \
	if [ -n "$$fail" ]; then echo "fi-valgrind FAILED:$$fail"; exit 1; fi; echo "fi-valgrind: clean"

# For `make SANITIZE=thread tsan`: the shim's threaded tests.
fi-tsan: $(FI_TEST_SHIM) $(FI_SO)
	$(SHIM_ENV) $(FI_GUARD) $(FI_TEST_SHIM)

# make bench: not a test; prints ns per write+read pair and ratios to plain.
FI_BENCH := $(BUILD)/tests/bench/bench_shim
ALL_BIN += $(FI_BENCH)
$(BUILD)/tests/bench/bench_shim.o: ALL_CFLAGS += -DFI_SO_PATH='"$(abspath $(FI_SO))"'
$(FI_BENCH): $(BUILD)/tests/bench/bench_shim.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

fi-bench: $(FI_BENCH) $(FI_SO)
	$(FI_BENCH) $(FI_BENCH_PAIRS)
