# tests/reliability.mk: soak, fuzzing, resource exhaustion, Helgrind.
# Included by the root Makefile. Targets:
#   make soak [SOAK_SECONDS=60]      1,000 connections per server under faults
#                                    (server_fork, server_thread, and evserver: the
#                                    edge-triggered event loop of tests/evloop.mk),
#                                    then static fork and thread servers under
#                                    faultrun --backend=trace (soak-traced alone)
#   make test                        includes soak-short, fuzz-replay, exhaust-test
#   make fuzz [FUZZ_SECONDS=30]      libFuzzer: fuzz_wrap, fuzz_rules, fuzz_logparse (clang)
#   make helgrind                    the thread server under Helgrind and DRD (also in make valgrind)

SOAK_SECONDS ?= 60
FUZZ_SECONDS ?= 30

# The shared test helpers (tests/support.mk builds the library).
REL_SUPPORT := $(TEST_SUPPORT_LIB)
LOADGEN     := $(BUILD)/tests/soak/loadgen
SOAK_BIN    := $(BUILD)/tests/soak/soak
SOAK_WORK   := $(BUILD)/tests/soak/work

$(BUILD)/tests/soak/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

$(LOADGEN): $(BUILD)/tests/soak/loadgen.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(SOAK_BIN): $(BUILD)/tests/soak/soak.o $(REL_SUPPORT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

.PHONY: soak-short soak-long soak-fork soak-thread soak-evserver soak-traced rel-soak-deps

# evserver: tests/evloop.mk builds it (included after this file, hence the path).
SOAK_EVSERVER := $(BUILD)/tests/evloop/evserver

rel-soak-deps: $(SOAK_BIN) $(LOADGEN) $(FI_SO) $(SERVER_FORK) $(SERVER_THREAD) $(SOAK_EVSERVER)
	@mkdir -p $(SOAK_WORK)

# soak_one SERVER,ARGS (-s seconds, -w/-W warm-up seconds/rounds, -c connections, -F the fork
# server's fault schedule): see tests/soak/soak.c. The server's output, the
# shim's log and loadgen's report stay in $(SOAK_WORK) for a look after a failure.
# Sanitized servers keep freed memory (ASan's quarantine): VmRSS is then
# shown but not checked (-R), and LSan at exit looks for leaks instead.
SOAK_FLAGS := $(if $(SANITIZE),-R)
define soak_one
	$(SOAK_BIN) $(abspath $(1)) $(abspath $(FI_SO)) $(abspath $(LOADGEN)) $(SOAK_WORK) $(SOAK_FLAGS) $(2)
endef

# The traced run (-T): static builds of the servers (tests/server.mk) under
# faultrun --backend=trace with the faults it can inject so far, for a
# fifth of the time. Not with SANITIZE (no static sanitized link).
ifeq ($(SANITIZE),)
SOAK_TRACED_DEPS := $$(STATIC_SRV_FORK) $$(STATIC_SRV_THREAD) $(FAULTRUN)
soak_traced = $(call soak_one,$(1),-T $(abspath $(FAULTRUN)) $(2))
else
SOAK_TRACED_DEPS :=
soak_traced = echo "soak: traced run of $(notdir $(1)) skipped (SANITIZE=$(SANITIZE): no static build)"
endif
SOAK_TRACED_SECONDS = $$(( $(SOAK_SECONDS) / 5 > 0 ? $(SOAK_SECONDS) / 5 : 1 ))

# Inside `make test`: both servers, 1,000 connections, a few seconds each;
# the static thread server traced, 1 s.
soak-short: rel-soak-deps $(SOAK_TRACED_DEPS)
	@fail=; \
	$(call soak_one,$(SERVER_FORK),-F -s 2 -w 1 -W 3 -c 1000) || fail="$$fail fork"; \
	$(call soak_one,$(SERVER_THREAD),-s 2 -w 1 -W 3 -c 1000) || fail="$$fail thread"; \
	$(call soak_one,$(SOAK_EVSERVER),-s 2 -w 1 -W 3 -c 1000) || fail="$$fail evserver"; \
	$(call soak_traced,$(STATIC_SRV_THREAD),-s 1 -w 1 -W 2 -c 1000) || fail="$$fail thread-traced"; \
	if [ -n "$$fail" ]; then echo "soak-short FAILED:$$fail"; exit 1; fi

# `make soak`: SOAK_SECONDS per server, then both static servers traced
# for SOAK_SECONDS/5 each after two 1 s warm-ups (~10 s each at SOAK_SECONDS=20).
soak-long: rel-soak-deps $(SOAK_TRACED_DEPS)
	@fail=; \
	$(call soak_one,$(SERVER_FORK),-F -s $(SOAK_SECONDS) -w 3 -W 3 -c 1000) || fail="$$fail fork"; \
	$(call soak_one,$(SERVER_THREAD),-s $(SOAK_SECONDS) -w 3 -W 3 -c 1000) || fail="$$fail thread"; \
	$(call soak_one,$(SOAK_EVSERVER),-s $(SOAK_SECONDS) -w 3 -W 3 -c 1000) || fail="$$fail evserver"; \
	$(call soak_traced,$(STATIC_SRV_FORK),-F -s $(SOAK_TRACED_SECONDS) -w 1 -W 2 -c 1000) || fail="$$fail fork-traced"; \
	$(call soak_traced,$(STATIC_SRV_THREAD),-s $(SOAK_TRACED_SECONDS) -w 1 -W 2 -c 1000) || fail="$$fail thread-traced"; \
	if [ -n "$$fail" ]; then echo "soak FAILED:$$fail"; exit 1; fi

soak-traced: rel-soak-deps $(SOAK_TRACED_DEPS)
	@fail=; \
	$(call soak_traced,$(STATIC_SRV_FORK),-F -s $(SOAK_TRACED_SECONDS) -w 1 -W 2 -c 1000) || fail="$$fail fork-traced"; \
	$(call soak_traced,$(STATIC_SRV_THREAD),-s $(SOAK_TRACED_SECONDS) -w 1 -W 2 -c 1000) || fail="$$fail thread-traced"; \
	if [ -n "$$fail" ]; then echo "soak-traced FAILED:$$fail"; exit 1; fi

soak-fork: rel-soak-deps
	$(call soak_one,$(SERVER_FORK),-F -s $(SOAK_SECONDS) -w 3 -W 3 -c 1000)
soak-thread: rel-soak-deps
	$(call soak_one,$(SERVER_THREAD),-s $(SOAK_SECONDS) -w 3 -W 3 -c 1000)
soak-evserver: rel-soak-deps
	$(call soak_one,$(SOAK_EVSERVER),-s $(SOAK_SECONDS) -w 3 -W 3 -c 1000)

TEST_RUN += soak-short
SOAK_RUN += soak-long

# ---------------------------------------------------------------- fuzzing
# libFuzzer needs clang and Debian's libclang-rt-14-dev, whatever $(CC) is.
# wrap.o reaches the fuzzer's fake system calls through objcopy
# --redefine-sym (see tests/fuzz/wrap_check.c for why).
FUZZ_CC    ?= clang
FUZZ_DIR   := $(BUILD)/fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS := $(STD_FLAGS) $(WARN) -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN)
FUZZ_WRAP_SRC ?= wrap/wrap.c
FUZZ_REDEF := --redefine-sym read=fuzz_read --redefine-sym write=fuzz_write \
              --redefine-sym close=fuzz_close --redefine-sym malloc=fuzz_malloc \
              --redefine-sym calloc=fuzz_calloc --redefine-sym realloc=fuzz_realloc \
              --redefine-sym free=fuzz_free --redefine-sym accept=fuzz_accept \
              --redefine-sym connect=fuzz_connect --redefine-sym poll=fuzz_poll \
              --redefine-sym getsockopt=fuzz_getsockopt
FUZZ_CORPUS := tests/fuzz/corpus

.PHONY: fuzz-all fuzz-wrap fuzz-rules fuzz-logparse fuzz-check-rt fuzz-replay

fuzz-check-rt:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	  echo "fuzz: $(FUZZ_CC) not found; install it with: sudo apt-get install -y clang-14 libclang-rt-14-dev" >&2; exit 1; }
	@rt=$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a); [ -f "$$rt" ] || { \
	  echo "fuzz: libFuzzer runtime missing; install it with: sudo apt-get install -y libclang-rt-14-dev" >&2; exit 1; }

$(FUZZ_DIR)/wrap.o: $(FUZZ_WRAP_SRC) wrap/wrap.h tests/reliability.mk | fuzz-check-rt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -Iwrap -c $< -o $@.tmp
	objcopy $(FUZZ_REDEF) $@.tmp $@
	rm -f $@.tmp

$(FUZZ_DIR)/fuzz_wrap: tests/fuzz/fuzz_wrap.c tests/fuzz/wrap_check.c tests/fuzz/input_name.c \
                       tests/fuzz/wrap_check.h tests/fuzz/input_name.h $(FUZZ_DIR)/wrap.o | fuzz-check-rt
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Iwrap -Itests/fuzz -o $@ \
	  tests/fuzz/fuzz_wrap.c tests/fuzz/wrap_check.c tests/fuzz/input_name.c $(FUZZ_DIR)/wrap.o

$(FUZZ_DIR)/fuzz_rules: tests/fuzz/fuzz_rules.c tests/fuzz/rules_check.c tests/fuzz/input_name.c \
                        tests/fuzz/rules_check.h faultinject/common/rules.c faultinject/common/rules.h \
                        faultinject/common/errnames.c faultinject/common/errnames.h \
                        faultinject/common/names.c faultinject/common/names.h | fuzz-check-rt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Ifaultinject -Ifaultinject/common -Itests/fuzz -o $@ \
	  tests/fuzz/fuzz_rules.c tests/fuzz/rules_check.c tests/fuzz/input_name.c \
	  faultinject/common/rules.c faultinject/common/errnames.c faultinject/common/names.c

$(FUZZ_DIR)/fuzz_logparse: tests/fuzz/fuzz_logparse.c tests/fuzz/logparse_check.c \
                           tests/fuzz/input_name.c tests/fuzz/logparse_check.h \
                           faultinject/common/logparse.c faultinject/common/logparse.h faultinject/common/rules.c \
                           faultinject/common/rules.h faultinject/common/errnames.c \
                           faultinject/common/names.c faultinject/common/names.h | fuzz-check-rt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Ifaultinject -Ifaultinject/common -Itests/fuzz -o $@ \
	  tests/fuzz/fuzz_logparse.c tests/fuzz/logparse_check.c tests/fuzz/input_name.c \
	  faultinject/common/logparse.c faultinject/common/rules.c faultinject/common/errnames.c \
	  faultinject/common/names.c

# New inputs go to $(FUZZ_DIR)/corpus/T (first folder); the committed seeds
# are read only. A crash leaves $(FUZZ_DIR)/T-crash-*: copy it into
# tests/fuzz/corpus/T/ as regress-NAME and fuzz-replay keeps checking it.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/corpus/$(1)
	@echo "fuzz: $(1) for $(FUZZ_SECONDS) s (log: $(FUZZ_DIR)/$(1).log)"
	@$(FUZZ_DIR)/$(1) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 -dict=tests/fuzz/$(1).dict -artifact_prefix=$(FUZZ_DIR)/$(1)- \
	  $(FUZZ_DIR)/corpus/$(1) $(FUZZ_CORPUS)/$(1) >$(FUZZ_DIR)/$(1).log 2>&1; \
	status=$$?; grep -E 'BREACH|ERROR|SUMMARY|stat::|DONE' $(FUZZ_DIR)/$(1).log | tail -n 20; \
	[ $$status -eq 0 ] || { echo "fuzz: $(1) FAILED; the input is in $(FUZZ_DIR)/$(1)-*;" \
	  "keep it as $(FUZZ_CORPUS)/$(1)/regress-NAME so fuzz-replay checks it"; exit 1; }
endef

fuzz-wrap: $(FUZZ_DIR)/fuzz_wrap
	$(call fuzz_run,fuzz_wrap)
fuzz-rules: $(FUZZ_DIR)/fuzz_rules
	$(call fuzz_run,fuzz_rules)
fuzz-logparse: $(FUZZ_DIR)/fuzz_logparse
	$(call fuzz_run,fuzz_logparse)

fuzz-all:
	@fail=; for t in fuzz-wrap fuzz-rules fuzz-logparse; do \
	  $(MAKE) --no-print-directory $$t || fail="$$fail $$t"; done; \
	if [ -n "$$fail" ]; then echo "fuzz FAILED:$$fail"; exit 1; fi

FUZZ_RUN += fuzz-all

# The same checks with $(CC), without libFuzzer, over the committed inputs.
FUZZ_REPLAY := $(BUILD)/tests/fuzz/fuzz_replay
$(BUILD)/tests/fuzz/%.o: ALL_CFLAGS += -Iwrap -Ifaultinject -Ifaultinject/common -Itests/fuzz

$(BUILD)/tests/fuzz/wrap_redef.o: $(BUILD)/wrap/wrap.o tests/reliability.mk
	@mkdir -p $(dir $@)
	objcopy $(FUZZ_REDEF) $< $@

# The replay's objects but wrap (also linked with each wrap mutant below).
FUZZ_REPLAY_OBJS := $(addprefix $(BUILD)/tests/fuzz/,fuzz_replay.o wrap_check.o rules_check.o \
                      logparse_check.o input_name.o) $(BUILD)/faultinject/common/logparse.o \
                    $(BUILD)/faultinject/common/rules.o $(BUILD)/faultinject/common/errnames.o \
                    $(BUILD)/faultinject/common/names.o
$(FUZZ_REPLAY): $(FUZZ_REPLAY_OBJS) $(BUILD)/tests/fuzz/wrap_redef.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

fuzz-replay: $(FUZZ_REPLAY)
	$(FUZZ_REPLAY) $(FUZZ_CORPUS)/fuzz_wrap $(FUZZ_CORPUS)/fuzz_rules $(FUZZ_CORPUS)/fuzz_logparse

TEST_RUN += fuzz-replay

# ---------------------------------------------------- resource exhaustion
EXHAUST_TEST := $(BUILD)/tests/exhaust/test_exhaust
$(BUILD)/tests/exhaust/%.o: ALL_CFLAGS += $(TEST_SUPPORT_CFLAGS)

$(EXHAUST_TEST): $(BUILD)/tests/exhaust/test_exhaust.o $(TEST_SUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lcmocka

.PHONY: exhaust-test
# EXHAUST_SERVERS= to check other binaries.
EXHAUST_SERVERS ?= $(SERVER_FORK) $(SERVER_THREAD)
exhaust-test: $(EXHAUST_TEST) $(SERVER_FORK) $(SERVER_THREAD)
	ASAN_OPTIONS=detect_leaks=1 $(EXHAUST_TEST) $(EXHAUST_SERVERS)

TEST_RUN += exhaust-test

# ------------------------------------------------------------- Helgrind
# The server runs without the shim: Helgrind and DRD do not model C11
# atomics, which the shim's descriptor table uses, and would flag them.
.PHONY: helgrind helgrind-server drd-server
helgrind: helgrind-server drd-server
ifeq ($(SANITIZE),)
helgrind-server: $(SERVER_THREAD) $(LOADGEN)
	@mkdir -p $(SOAK_WORK)
	sh tests/soak/helgrind.sh $(SERVER_THREAD) $(LOADGEN) $(SOAK_WORK)/helgrind.log helgrind
drd-server: $(SERVER_THREAD) $(LOADGEN)
	@mkdir -p $(SOAK_WORK)
	sh tests/soak/helgrind.sh $(SERVER_THREAD) $(LOADGEN) $(SOAK_WORK)/drd.log drd
else
helgrind-server drd-server:
	@echo "$@: skipped (Valgrind cannot run a SANITIZE=$(SANITIZE) build)"
endif

VALGRIND_RUN += helgrind-server drd-server

# The replay must reject the wrap mutants (tests/mutants/wrap.manifest) that break a
# clause it checks: proof that the fuzz checks and corpus are real.
.PHONY: fuzz-mutants
fuzz-mutants: $(FUZZ_REPLAY_OBJS) $(MUTANT_TOOL)
	@MUTANT='$(abspath $(MUTANT_TOOL))' CC='$(CC)' CFLAGS='$(STD_FLAGS) $(CFLAGS) $(SAN_FLAGS) $(COV_FLAGS)' LDFLAGS='$(ALL_LDFLAGS)' \
	  OUT=$(BUILD)/tests/fuzz/mutants OBJS='$(FUZZ_REPLAY_OBJS)' REDEF='$(FUZZ_REDEF)' \
	  CORPUS=$(FUZZ_CORPUS)/fuzz_wrap sh tests/fuzz/replay_mutants.sh tests/mutants/wrap.manifest

MUTANTS_RUN += fuzz-mutants
