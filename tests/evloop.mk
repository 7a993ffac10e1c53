# tests/evloop.mk: evserver (an edge-triggered epoll echo server with nginx's
# habits) and test_evloop, which runs it under the shim with rd:short,
# rd:eagain, wr:short, wr:eagain and wait:eintr at p=0.3 (faultinject.md,
# "Readiness agrees"). Included by the root Makefile.
#
#   make evloop-test       (in `make test`)

EVLOOP_DIR    := $(BUILD)/tests/evloop
EVSERVER      := $(EVLOOP_DIR)/evserver
EVLOOP_TEST   := $(EVLOOP_DIR)/test_evloop
EVLOOP_WORK   := $(EVLOOP_DIR)/work

$(EVLOOP_DIR)/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

$(EVSERVER): $(EVLOOP_DIR)/evserver.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(EVLOOP_TEST): $(EVLOOP_DIR)/test_evloop.o $(EVLOOP_DIR)/evclient.o $(TEST_SUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

ALL_BIN += $(EVSERVER) $(EVLOOP_TEST)

.PHONY: evloop-test
TEST_RUN += evloop-test

# The binary bounds every connection itself; the guard stops a hung run.
evloop-test: $(EVLOOP_TEST) $(EVSERVER) $(FI_SO)
	@mkdir -p $(EVLOOP_WORK)
	ASAN_OPTIONS=detect_leaks=1 timeout -k 5 170 $(EVLOOP_TEST) $(abspath $(EVSERVER)) \
	  $(abspath $(FI_SO)) $(abspath $(EVLOOP_WORK))
