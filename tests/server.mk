# tests/server.mk: the end-to-end server suite (cmocka), the shared test
# support library, the servers' mutants and benchmark. Included by the root
# Makefile.
#
#   make check-server                 both servers, one row per clause each
#   make check-server SERVER=path     any other server binary
#   make server-test                  (in `make test`) the same on both servers
#   make mutants-server               broken servers must fail their clause

# ---- shared test helpers (reused by other suites: link $(TEST_SUPPORT_LIB),
# compile with $(TEST_SUPPORT_CFLAGS)) ----
TEST_SUPPORT_CFLAGS := -Itests/support
TEST_SUPPORT_LIB    := $(BUILD)/tests/support/libtestsupport.a
TEST_SUPPORT_OBJS   := $(addprefix $(BUILD)/tests/support/,spawn.o procstat.o netio.o echoload.o)

$(TEST_SUPPORT_LIB): $(TEST_SUPPORT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/support/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

# ---- the suite ----
SERVER_SUITE := $(BUILD)/tests/server/test_servers
ALT_SERVER   := $(BUILD)/tests/server/alt_poll_server

$(BUILD)/tests/server/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS) -Iservers -Iwrap -Ifaultinject

$(SERVER_SUITE): $(BUILD)/tests/server/test_servers.o $(BUILD)/tests/server/harness.o $(TEST_SUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

# A correct server built another way (one process, poll(), no wrap): the
# suite must pass it too.
$(ALT_SERVER): $(BUILD)/tests/server/alt_poll_server.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

ALL_BIN += $(TEST_SUPPORT_LIB) $(SERVER_SUITE) $(ALT_SERVER)

# Valgrind cannot run sanitized servers; coverage builds are fine.
SERVER_SUITE_ENV := $(if $(SANITIZE),SERVER_SUITE_NO_VALGRIND=1) \
                    ASAN_OPTIONS=detect_leaks=1

.PHONY: check-server server-test server-tsan server-valgrind mutants-server server-bench
CHECK_RUN    += check-server
TEST_RUN     += server-test
TSAN_RUN     += server-tsan
VALGRIND_RUN += server-valgrind
MUTANTS_RUN  += mutants-server
BENCH_RUN    += server-bench

ifdef SERVER
check-server: $(SERVER_SUITE) $(FI_SO)
	$(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $(SERVER)
else
check-server: server-test
endif

# Both servers even if the first fails; fails if either failed.
server-test: $(SERVER_SUITE) $(FI_SO) $(SERVER_FORK) $(SERVER_THREAD)
	@fail=; for s in $(SERVER_FORK) $(SERVER_THREAD); do \
	  echo "$(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $$s"; \
	  $(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $$s || fail="$$fail $$s"; \
	done; \
	if [ -n "$$fail" ]; then echo "check-server FAILED:$$fail"; exit 1; fi

# SANITIZE=thread: the thread server, TSan-built, through the whole suite
# (TSan reports make it exit 66, which the suite sees as S7 failures).
server-tsan: $(SERVER_SUITE) $(FI_SO) $(SERVER_THREAD)
	TSAN_OPTIONS=exitcode=66 SERVER_SUITE_NO_VALGRIND=1 $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $(SERVER_THREAD)
