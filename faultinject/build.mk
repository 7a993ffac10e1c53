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

FI_COMMON_SRCS := $(addprefix $(FI_COMMON)/,names.c rules.c errnames.c logparse.c summary.c logfmt.c forkpath.c \
                    runblock.c why.c decide.c roomrule.c)
FI_SHIM_SRCS   := $(addprefix $(FI_SHIMD)/,shim.c control.c engine.c fdstate.c filog.c \
                    fdlife.c xfer.c waits.c blocking.c sockends.c tally.c proc.c \
                    replay.c run.c fdflags.c sandbox.c seccomp.c classify.c sigstate.c room.c)
FI_RUN_SRCS    := $(addprefix $(FI_RUND)/,faultrun.c sweep.c jobs.c progress.c shrink.c shellword.c \
                    launch.c elfcheck.c trace.c tracee.c \
                    tracestate.c tracepossible.c tracecall.c \
                    tracexfer.c traceroom.c traceepoll.c traceshown.c tracewait.c \
                    tracerestart.c traceinner.c tracereplay.c tracefd.c tracedelay.c \
                    tracearm.c)

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
# The decision as a unit, for tests/fi/test_engine.
FI_DECIDE_OBJS := $(BUILD)/$(FI_COMMON)/decide.o $(BUILD)/$(FI_COMMON)/runblock.o $(FI_RULES_OBJS)

$(FI_COMMON_OBJS): ALL_CFLAGS += -iquote $(FI_COMMON)
# The shim defines read, poll, __read_chk and the like itself, so a
# CPPFLAGS=-D_FORTIFY_SOURCE (dpkg-buildflags) must not turn its own calls
# and definitions into the fortified inlines: it is undefined for the shim
# only (shim.c also #undefs it). -fstack-protector and the rest still apply.
$(FI_SHIM_SRCS:%.c=$(BUILD)/%.o): ALL_CFLAGS += -iquote $(FI_SHIMD) -iquote $(FI_COMMON) \
    -iquote faultinject -fPIC -fvisibility=hidden -U_FORTIFY_SOURCE $(if $(COVERAGE),-DFI_COVERAGE)
$(FI_COMMON_PIC_OBJS): ALL_CFLAGS += -iquote $(FI_COMMON) -fPIC -fvisibility=hidden
$(FI_RUN_OWN_OBJS): ALL_CFLAGS += -iquote $(FI_RUND) -iquote $(FI_COMMON)
# FI_SHIMDIR is compiled in, and so is its path relative to PREFIX (when it
# is under PREFIX), which faultrun tries from its own directory's parent:
# an installed tree still works after it is moved (dpkg -x into any root).
FI_SHIM_RELDIR = $(if $(filter $(PREFIX)/%,$(FI_SHIMDIR)),$(patsubst $(PREFIX)/%,%,$(FI_SHIMDIR)),lib)
$(BUILD)/faultinject/cli/faultrun.o: ALL_CFLAGS += -DFI_LIBDIR='"$(FI_SHIMDIR)"' \
    -DFI_SHIM_RELDIR='"$(FI_SHIM_RELDIR)"' $(if $(COVERAGE),-DFI_COVERAGE)

$(BUILD)/faultinject/common/pic/%.o: faultinject/common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/faultinject/cli/%.o: faultinject/faultrun/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

ALL_BIN += $(FI_SO) $(FAULTRUN)

# faultrun has FI_SHIMDIR compiled in: rebuild it when PREFIX or FI_SHIMDIR changes.
FI_PREFIX_STAMP := $(BUILD)/faultinject/prefix$(subst /,_,$(PREFIX)+$(FI_SHIMDIR)).stamp
$(FI_PREFIX_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/faultinject/prefix*.stamp
	@touch $@
$(BUILD)/faultinject/cli/faultrun.o: $(FI_PREFIX_STAMP)

# -z defs: a symbol no object defines fails the link, not the first
# program that loads the shim (sanitizer builds get theirs from the program).
$(FI_SO): $(FI_SHIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_LDFLAGS) $(if $(SANITIZE),,-Wl,-z,defs) -o $@ $^ -ldl

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
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(FI_SHIMDIR) $(DESTDIR)$(PREFIX)/include
	install -m 755 $(FAULTRUN) $(DESTDIR)$(PREFIX)/bin/faultrun
	install -m 755 $(FI_SO) $(DESTDIR)$(FI_SHIMDIR)/libfaultinject.so
	install -m 644 faultinject/faultinject.h $(DESTDIR)$(PREFIX)/include/faultinject.h

fi-uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/faultrun $(DESTDIR)$(FI_SHIMDIR)/libfaultinject.so \
	      $(DESTDIR)$(PREFIX)/include/faultinject.h
