# tests/mutants.mk: the mutants, one manifest per suite (tests/mutants/*.manifest,
# format in tests/mutants/mutant.c, the one program that reads them). No
# mutant source is kept: each is made from today's source at run time, into
# $(BUILD)/mutants/.
#
#   make mutants              (mutants-wrap, mutants-server, fuzz-mutants)
#   make mutants MUTANTS_FULL=1   each mutant through the whole table; lists
#                             the rows it fails besides its own
#   make mutants-check        (in make test) every manifest entry still
#                             applies to today's sources, exactly once

MUTANT_MANIFESTS := tests/mutants/wrap.manifest tests/mutants/servers.manifest
MUTANT_OUT       := $(BUILD)/mutants

$(MUTANT_TOOL): $(BUILD)/tests/mutants/mutant.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_BIN += $(MUTANT_TOOL)

.PHONY: mutants-check mutants-wrap mutants-server
TEST_RUN    += mutants-check
MUTANTS_RUN += mutants-wrap mutants-server

mutants-check: $(MUTANT_TOOL)
	$(MUTANT_TOOL) check $(MUTANT_MANIFESTS)
	@mkdir -p $(MUTANT_OUT); m=$(MUTANT_OUT)/not-once.manifest; \
	printf 'mutant x\nbreaks R1\nfile wrap/wrap.c\n<<<<\n    return -1;\n====\n>>>>\n' >$$m; \
	if $(MUTANT_TOOL) check $$m >/dev/null 2>&1; then \
	  echo "mutants-check: an original found more than once was accepted"; exit 1; fi

# The wrap suite's objects come from tests/wrap.mk (wrap-test-objs).
mutants-wrap: wrap-test-objs $(MUTANT_TOOL) $(FI_SO) $(LIBWRAP)
	@$(WRAP_CHECK_ENV) BUILDDIR='$(MUTANT_OUT)/wrap' MUTANT='$(abspath $(MUTANT_TOOL))' \
	  MUTANTS_FULL='$(MUTANTS_FULL)' \
	  sh scripts/check-wrap-mutants.sh tests/mutants/wrap.manifest tests/wrap/alt/*.c

# A server mutant is compiled like our server objects and linked like the
# program its manifest entry names (the lists of servers/build.mk). The
# suite and the alternative server come from tests/server.mk: $$(NAME), as
# the root Makefile says, so the fragments' order does not matter.
MUTANT_SRV_CFLAGS = $(STD_FLAGS) $(WARN) $(CFLAGS) $(SAN_FLAGS) $(COV_FLAGS) -Iservers -Iwrap
mutants-server: $(MUTANT_TOOL) $(FI_SO) $(SERVER_FORK) $(SERVER_THREAD) $$(SERVER_SUITE) $$(ALT_SERVER)
	@MUTANT='$(abspath $(MUTANT_TOOL))' SUITE='$(SERVER_SUITE)' SHIM='$(abspath $(FI_SO))' \
	  OUT='$(MUTANT_OUT)/servers' BUILD='$(BUILD)' MUTANTS_FULL='$(MUTANTS_FULL)' \
	  CC='$(CC)' CFLAGS='$(MUTANT_SRV_CFLAGS)' LDFLAGS='$(ALL_LDFLAGS)' \
	  PROG_server_fork='$(BUILD)/servers/server_fork.o $(SERVERS_COMMON) $(LIBWRAP)' \
	  PROG_server_thread='$(BUILD)/servers/server_thread.o $(SERVERS_COMMON) $(LIBWRAP)' \
	  sh tests/mutants/servers.sh tests/mutants/servers.manifest $(ALT_SERVER) \
	     $(if $(MUTANTS_FULL),$(SERVER_FORK) $(SERVER_THREAD))
