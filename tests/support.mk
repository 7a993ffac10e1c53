# tests/support.mk: the one test-support library (tests/support/: spawn a
# process and capture its output under a deadline, clocks, sockets (made:
# netsock; used under deadlines: netio), a process's fds and memory, an
# echo load, the judges' one JUnit/TAP writer). Every suite may link
# $(TEST_SUPPORT_LIB) and compile with $(TEST_SUPPORT_CFLAGS); both names are
# set in the root Makefile, so fragments can use them in any order.

TEST_SUPPORT_OBJS := $(addprefix $(BUILD)/tests/support/,proc_spawn.o capture.o procstat.o netio.o netsock.o echoload.o report.o)

$(TEST_SUPPORT_LIB): $(TEST_SUPPORT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/support/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)
# The benchmarks take their clock from here too.
$(BUILD)/tests/bench/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

ALL_BIN += $(TEST_SUPPORT_LIB)

# report.h for the shell and awk judges (scripts/check-wrap.sh): rows on
# stdin, the JUnit or TAP file out.
REPORT_TOOL := $(BUILD)/tests/support/report_tool
$(REPORT_TOOL): $(BUILD)/tests/support/report_tool.o $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_BIN += $(REPORT_TOOL)

# The layer's own tests (in make test).
SUPPORT_TEST := $(BUILD)/tests/support/test_support
$(SUPPORT_TEST): $(BUILD)/tests/support/test_support.o $(TEST_SUPPORT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka
ALL_BIN += $(SUPPORT_TEST)

.PHONY: support-test
TEST_RUN += support-test
support-test: $(SUPPORT_TEST)
	$(SUPPORT_TEST)
