# faultinject/build.mk: libfaultinject.so (the LD_PRELOAD shim) and faultrun,
# in three layers (faultinject/NOTES.md, Layers):
#   common/    pure or self-contained, libc only: the names and rules, the
#              log parser, the run's shared block, the summary, the reasons
#   shim/      libfaultinject.so: per-descriptor state, the engine, the
#              interposers; control.c is the only file that knows them all
#   faultrun/  the CLI: launch, ELF check, sweep
# shim/ and faultrun/ include common/, never each other: each folder is
# compiled with its own include path (so a forbidden include does not
# compile), and `make layer-check` (part of `make test`) names any breach.
# Included by the root Makefile; uses its BUILD, CC, ALL_CFLAGS, ALL_LDFLAGS.

FI_COMMON := faultinject/common
FI_SHIMD  := faultinject/shim
FI_RUND   := faultinject/faultrun

# The public header (faultinject.h: inline, dlsym-based) stays at the top.
FI_INC    := -iquote faultinject -iquote $(FI_COMMON)

FI_COMMON_SRCS := $(addprefix $(FI_COMMON)/,names.c rules.c errnames.c logparse.c summary.c \
                    runblock.c why.c)
FI_SHIM_SRCS   := $(addprefix $(FI_SHIMD)/,shim.c control.c engine.c fdstate.c filog.c \
                    fdlife.c xfer.c waits.c epreg.c blocking.c sockends.c tally.c proc.c \
                    replay.c run.c fdflags.c sandbox.c sigstate.c room.c)
FI_RUN_SRCS    := $(addprefix $(FI_RUND)/,faultrun.c sweep.c launch.c elfcheck.c)

# Common objects are built twice: position-independent, hidden, for the
# shared library (pic/), and plainly for faultrun and the tests.
FI_COMMON_OBJS     := $(FI_COMMON_SRCS:%.c=$(BUILD)/%.o)
FI_COMMON_PIC_OBJS := $(FI_COMMON_SRCS:faultinject/common/%.c=$(BUILD)/faultinject/common/pic/%.o)
FI_SHIM_OBJS   := $(FI_SHIM_SRCS:%.c=$(BUILD)/%.o) $(FI_COMMON_PIC_OBJS)
# (faultrun/'s objects go to cli/: $(BUILD)/faultinject/faultrun is the program)
FI_RUN_OWN_OBJS := $(FI_RUN_SRCS:faultinject/faultrun/%.c=$(BUILD)/faultinject/cli/%.o)
FI_RUN_OBJS    := $(FI_RUN_OWN_OBJS) $(FI_COMMON_OBJS)
# The parser alone (rules.h), for tests and fuzzers; the log parser with it.
FI_RULES_OBJS := $(BUILD)/$(FI_COMMON)/names.o $(BUILD)/$(FI_COMMON)/rules.o \
                 $(BUILD)/$(FI_COMMON)/errnames.o $(BUILD)/$(FI_COMMON)/why.o
FI_LOGPARSE_OBJS := $(BUILD)/$(FI_COMMON)/logparse.o $(FI_RULES_OBJS)

$(FI_COMMON_OBJS): ALL_CFLAGS += -iquote $(FI_COMMON)
$(FI_SHIM_SRCS:%.c=$(BUILD)/%.o): ALL_CFLAGS += -iquote $(FI_SHIMD) -iquote $(FI_COMMON) \
    -iquote faultinject -fPIC -fvisibility=hidden $(if $(COVERAGE),-DFI_COVERAGE)
$(FI_COMMON_PIC_OBJS): ALL_CFLAGS += -iquote $(FI_COMMON) -fPIC -fvisibility=hidden
$(FI_RUN_OWN_OBJS): ALL_CFLAGS += -iquote $(FI_RUND) -iquote $(FI_COMMON)
$(BUILD)/faultinject/cli/faultrun.o: ALL_CFLAGS += -DFI_LIBDIR='"$(PREFIX)/lib"' \
    $(if $(COVERAGE),-DFI_COVERAGE)

$(BUILD)/faultinject/common/pic/%.o: faultinject/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/faultinject/cli/%.o: faultinject/faultrun/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

ALL_BIN += $(FI_SO) $(FAULTRUN)

# faultrun has $(PREFIX)/lib compiled in: rebuild it when PREFIX changes.
FI_PREFIX_STAMP := $(BUILD)/faultinject/prefix$(subst /,_,$(PREFIX)).stamp
$(FI_PREFIX_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/faultinject/prefix*.stamp
	@touch $@
$(BUILD)/faultinject/cli/faultrun.o: $(FI_PREFIX_STAMP)

$(FI_SO): $(FI_SHIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $^ -ldl

$(FAULTRUN): $(FI_RUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# The layers hold (see the top): every include allowed, every header with
# one .c of its name.
.PHONY: layer-check
TEST_RUN += layer-check
layer-check:
	sh scripts/layercheck.sh faultinject
	sh scripts/layercheck_selftest.sh

.PHONY: fi-install fi-uninstall
INSTALL_RUN   += fi-install
UNINSTALL_RUN += fi-uninstall

fi-install: $(FI_SO) $(FAULTRUN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 755 $(FAULTRUN) $(DESTDIR)$(PREFIX)/bin/faultrun
	install -m 755 $(FI_SO) $(DESTDIR)$(PREFIX)/lib/libfaultinject.so
	install -m 644 faultinject/faultinject.h $(DESTDIR)$(PREFIX)/include/faultinject.h

fi-uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/faultrun $(DESTDIR)$(PREFIX)/lib/libfaultinject.so \
	      $(DESTDIR)$(PREFIX)/include/faultinject.h
