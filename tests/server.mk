# tests/server.mk: the end-to-end server suite (cmocka) and the servers'
# benchmark (their mutants: tests/mutants.mk). Included by the root
# Makefile.
#
#   make check-server                 both servers, one row per clause each
#   make check-server SERVER=path     any other server binary
#   make server-test                  (in `make test`) the same on both servers
#   make server-static                static builds under faultrun --backend=trace

# ---- the suite ----
SERVER_SUITE := $(BUILD)/tests/server/test_servers
ALT_SERVER   := $(BUILD)/tests/server/alt_poll_server

$(BUILD)/tests/server/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS) -Iservers -Iwrap -Ifaultinject -Ifaultinject/common

SERVER_SUITE_OBJS := $(addprefix $(BUILD)/tests/server/,test_servers.o suite.o serverctl.o verdict.o \
                       traced.o clauses_basic.o clauses_faults.o clauses_end.o)
$(SERVER_SUITE): $(SERVER_SUITE_OBJS) $(TEST_SUPPORT_LIB) $$(FI_LOGPARSE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

# A correct server built another way (one process, poll(), no wrap): the
# suite must pass it too.
$(ALT_SERVER): $(BUILD)/tests/server/alt_poll_server.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Course-style servers (tests/server/course/): written the way the course
# shows, hard-coded port 9527 and all, on the course-style wrap.c of
# tests/wrap/course/ (as the course's servers use its wrap.c), against the
# contract's wrap.h; the suite's own test asserts their exact verdict tables.
COURSE_FORK   := $(BUILD)/tests/server/course/course_fork
COURSE_THREAD := $(BUILD)/tests/server/course/course_thread
COURSE_WRAP_O := $(BUILD)/tests/server/course/course_wrap.o
$(COURSE_WRAP_O): tests/wrap/course/wrap.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iwrap -c $< -o $@
$(COURSE_FORK): $(BUILD)/tests/server/course/course_fork.o $(COURSE_WRAP_O)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(COURSE_THREAD): $(BUILD)/tests/server/course/course_thread.o $(COURSE_WRAP_O)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(BUILD)/tests/server/course/%.o: ALL_CFLAGS += -Iwrap
ALL_BIN += $(COURSE_FORK) $(COURSE_THREAD)

# Textbook-style servers (tests/server/textbook/): the plain echo (bytes
# unchanged), one forking and reaping with a waitpid loop, one threaded
# that takes only a port and exits on a write error, one threaded that
# catches no signal and takes EINTR as an error (never injected there);
# their exact tables too.
TB_FORK   := $(BUILD)/tests/server/textbook/tb_fork
TB_THREAD := $(BUILD)/tests/server/textbook/tb_thread
TB_NOSIG  := $(BUILD)/tests/server/textbook/tb_nosig
$(BUILD)/tests/server/textbook/%: $(BUILD)/tests/server/textbook/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_BIN += $(TB_FORK) $(TB_THREAD) $(TB_NOSIG)

# Our programs beyond the contract: command line, -m cap, the client.
PROGRAMS_TEST := $(BUILD)/tests/server/test_programs
$(PROGRAMS_TEST): $(BUILD)/tests/server/test_programs.o $(TEST_SUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

ALL_BIN += $(SERVER_SUITE) $(ALT_SERVER) $(PROGRAMS_TEST)

# Valgrind cannot run sanitized servers; coverage builds are fine.
SERVER_SUITE_ENV := $(if $(SANITIZE),SERVER_SUITE_NO_VALGRIND=1) \
                    ASAN_OPTIONS=detect_leaks=1

.PHONY: check-server server-test server-verdicts server-tsan server-valgrind server-bench
CHECK_RUN    += check-server
TEST_RUN     += server-test server-verdicts
TSAN_RUN     += server-tsan
VALGRIND_RUN += server-valgrind
BENCH_RUN    += server-bench

# A statically linked SERVER runs under faultrun --backend=trace (so does
# any with SERVER_SUITE_FAULTRUN=1): tests/server/traced.h.
ifdef SERVER
check-server: $(SERVER_SUITE) $(FI_SO) $(FAULTRUN)
	$(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) --faultrun $(abspath $(FAULTRUN)) \
	  $(SERVER)
else
check-server: server-test
endif

# Both servers even if the first fails; fails if either failed. Then our
# programs' own command line and the client.
server-test: $(SERVER_SUITE) $(PROGRAMS_TEST) $(FI_SO) $(SERVER_FORK) $(SERVER_THREAD) $(CLIENT)
	@fail=; for s in $(SERVER_FORK) $(SERVER_THREAD); do \
	  echo "$(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $$s"; \
	  $(SERVER_SUITE_ENV) $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $$s || fail="$$fail $$s"; \
	  $(PROGRAMS_TEST) $$s $(CLIENT) $(abspath $(FI_SO)) || fail="$$fail $$s(programs)"; \
	done; \
	if [ -n "$$fail" ]; then echo "check-server FAILED:$$fail"; exit 1; fi

# The suite's own test: the exact verdict tables of the course-style fork
# and thread servers (hard-coded port, judged unedited), row by row, and
# no temporary directory left behind; then SERVER_SUITE_ONLY's rows, the
# JUnit report and the cleanup after SIGTERM (suite_selftest.sh). Two at a
# time (each server runs in a network namespace of its own, so a
# hard-coded port meets no other); each one's output is printed in order.
server-verdicts: $(SERVER_SUITE) $(FI_SO) $(COURSE_FORK) $(COURSE_THREAD) $(TB_FORK) $(TB_THREAD) \
                 $(TB_NOSIG)
	@fail=; out=$$(mktemp -d /tmp/server-verdicts-XXXXXX) || exit 2; \
	run() { n=$$1; shift; "$$@" > $$out/$$n.out 2>&1 || echo "$$n" > $$out/$$n.failed; }; \
	lane1() { for s in $(COURSE_FORK) $(TB_FORK) $(TB_NOSIG); do \
	  run $$(basename $$s) env $(SERVER_SUITE_ENV) tests/server/verdict_tables.sh $(SERVER_SUITE) \
	    $(abspath $(FI_SO)) $$s tests/server/$$(basename $$(dirname $$s))/$$(basename $$s).expected; done; }; \
	lane2() { for s in $(COURSE_THREAD) $(TB_THREAD); do \
	  run $$(basename $$s) env $(SERVER_SUITE_ENV) tests/server/verdict_tables.sh $(SERVER_SUITE) \
	    $(abspath $(FI_SO)) $$s tests/server/$$(basename $$(dirname $$s))/$$(basename $$s).expected; done; \
	  run selftest env $(SERVER_SUITE_ENV) tests/server/suite_selftest.sh $(SERVER_SUITE) \
	    $(abspath $(FI_SO)) $(COURSE_FORK); }; \
	lane1 & p1=$$!; lane2; wait $$p1; \
	for n in $(notdir $(COURSE_FORK) $(COURSE_THREAD) $(TB_FORK) $(TB_THREAD) $(TB_NOSIG)) selftest; do \
	  cat $$out/$$n.out; [ -e $$out/$$n.failed ] && fail="$$fail $$n"; done; \
	rm -rf $$out; \
	if [ -n "$$fail" ]; then echo "server-verdicts FAILED:$$fail"; exit 1; fi

# `make server-static`: static builds (glibc -static) of our fork and
# thread servers and of the course-style fork server, through the whole
# suite under faultrun --backend=trace (traced.h), each table compared row
# by row with the dynamic build's: all PASS for ours
# (tests/server/static/all-pass.expected), the course server's known table
# (tests/server/course/course_fork.expected). Valgrind is not run
# (SERVER_SUITE_NO_VALGRIND, as for sanitized builds): memcheck cannot
# judge a static glibc program (S7_valgrind_clean says NOT JUDGED).
STATIC_SRV_DIR     := $(BUILD)/tests/server/static
STATIC_SRV_FORK    := $(STATIC_SRV_DIR)/server_fork
STATIC_SRV_THREAD  := $(STATIC_SRV_DIR)/server_thread
STATIC_COURSE_FORK := $(STATIC_SRV_DIR)/course_fork
$(STATIC_SRV_FORK): $(BUILD)/servers/server_fork.o $$(SERVERS_COMMON) $(LIBWRAP)
	@mkdir -p $(dir $@)
	$(CC) -static $(ALL_LDFLAGS) -o $@ $^
$(STATIC_SRV_THREAD): $(BUILD)/servers/server_thread.o $$(SERVERS_COMMON) $(LIBWRAP)
	@mkdir -p $(dir $@)
	$(CC) -static $(ALL_LDFLAGS) -o $@ $^
$(STATIC_COURSE_FORK): $(BUILD)/tests/server/course/course_fork.o $(COURSE_WRAP_O)
	@mkdir -p $(dir $@)
	$(CC) -static $(ALL_LDFLAGS) -o $@ $^

.PHONY: server-static
ifeq ($(SANITIZE),)
server-static: $(SERVER_SUITE) $(FI_SO) $(FAULTRUN) $(STATIC_SRV_FORK) $(STATIC_SRV_THREAD) \
               $(STATIC_COURSE_FORK)
	@fail=; \
	for pair in $(STATIC_SRV_FORK):tests/server/static/all-pass.expected \
	            $(STATIC_SRV_THREAD):tests/server/static/all-pass.expected \
	            $(STATIC_COURSE_FORK):tests/server/course/course_fork.expected; do \
	  s=$${pair%%:*}; \
	  FAULTRUN=$(abspath $(FAULTRUN)) SERVER_SUITE_NO_VALGRIND=1 tests/server/verdict_tables.sh \
	    $(SERVER_SUITE) $(abspath $(FI_SO)) $$s $${pair#*:} || fail="$$fail $$s"; \
	done; \
	if [ -n "$$fail" ]; then echo "server-static FAILED:$$fail"; exit 1; fi
else
server-static:
	@echo "server-static: skipped (no static link of a SANITIZE=$(SANITIZE) build)"
endif

# SANITIZE=thread: the thread server, TSan-built, through the whole suite.
# A TSan report makes the server exit 66 at the end (S7 rows fail) and
# prints the race; its runtime starts a helper thread at the first
# pthread_create, so the S6 baseline is taken after one exchange.
server-tsan: $(SERVER_SUITE) $(FI_SO) $(SERVER_THREAD)
	TSAN_OPTIONS=exitcode=66 SERVER_SUITE_WARMUP=1 SERVER_SUITE_NO_VALGRIND=1 \
	  $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $(SERVER_THREAD)

# `make valgrind`: both servers under memcheck through the S7 tests (the
# suite starts them under valgrind itself: S7_valgrind_clean), plus S0-S2.
server-valgrind: $(SERVER_SUITE) $(FI_SO) $(SERVER_FORK) $(SERVER_THREAD)
	@fail=; for s in $(SERVER_FORK) $(SERVER_THREAD); do \
	  SERVER_SUITE_ONLY='S0_*,S1_*,S2_*,S7_*' $(SERVER_SUITE) --shim $(abspath $(FI_SO)) $$s || fail="$$fail $$s"; \
	done; \
	if [ -n "$$fail" ]; then echo "server-valgrind FAILED:$$fail"; exit 1; fi

# ---- benchmark (make bench; ~15 s; figures, not a test) ----
SERVER_BENCH := $(BUILD)/tests/bench/bench_servers
SERVER_BARE  := $(BUILD)/tests/bench/server_bare
$(BUILD)/tests/bench/bench_servers.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)
$(SERVER_BENCH): $(BUILD)/tests/bench/bench_servers.o $(TEST_SUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(SERVER_BARE): $(BUILD)/tests/bench/server_bare.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_BIN += $(SERVER_BENCH) $(SERVER_BARE)

server-bench: $(SERVER_BENCH) $(SERVER_BARE) $(SERVER_FORK) $(SERVER_THREAD)
	$(SERVER_BENCH) $(SERVER_FORK) $(SERVER_THREAD) $(SERVER_BARE)
