# faultinject/build.mk: libfaultinject.so (the LD_PRELOAD shim) and faultrun.
# Included by the root Makefile; uses its BUILD, CC, ALL_CFLAGS, ALL_LDFLAGS.

FI_SHIM_SRCS := faultinject/shim.c faultinject/control.c faultinject/engine.c \
                faultinject/fdstate.c faultinject/filog.c faultinject/rules.c \
                faultinject/fdlife.c faultinject/xfer.c faultinject/waits.c \
                faultinject/epreg.c faultinject/blocking.c faultinject/sockends.c \
                faultinject/errnames.c faultinject/tally.c faultinject/proc.c \
                faultinject/replay.c faultinject/run.c faultinject/logparse.c \
                faultinject/summary.c faultinject/fdflags.c faultinject/sandbox.c \
                faultinject/sigstate.c faultinject/room.c
FI_SHIM_OBJS := $(FI_SHIM_SRCS:%.c=$(BUILD)/%.o)
FI_RUN_OBJS  := $(BUILD)/faultinject/faultrun.o $(BUILD)/faultinject/sweep.o \
                $(BUILD)/faultinject/rules.o $(BUILD)/faultinject/errnames.o \
                $(addprefix $(BUILD)/faultinject/,launch.o elfcheck.o logparse.o \
                  summary.o tally.o)
# The parser alone (rules.h), for tests and fuzzers; the log parser with it.
FI_RULES_OBJS := $(BUILD)/faultinject/rules.o $(BUILD)/faultinject/errnames.o
FI_LOGPARSE_OBJS := $(BUILD)/faultinject/logparse.o $(FI_RULES_OBJS)

# Shim objects go into a shared library that exports only the interposed
# calls and faultinject_*; rules.o and errnames.o are shared with faultrun.
# The shim defines read, poll, __read_chk and the like itself, so a
# CPPFLAGS=-D_FORTIFY_SOURCE (dpkg-buildflags) must not turn its own calls
# and definitions into the fortified inlines: it is undefined for the shim
# only (shim.c also #undefs it). -fstack-protector and the rest still apply.
$(FI_SHIM_OBJS): ALL_CFLAGS += -fPIC -fvisibility=hidden -U_FORTIFY_SOURCE \
    $(if $(COVERAGE),-DFI_COVERAGE)
# FI_SHIMDIR is compiled in, and so is its path relative to PREFIX (when it
# is under PREFIX), which faultrun tries from its own directory's parent:
# an installed tree still works after it is moved (dpkg -x into any root).
FI_SHIM_RELDIR = $(if $(filter $(PREFIX)/%,$(FI_SHIMDIR)),$(patsubst $(PREFIX)/%,%,$(FI_SHIMDIR)),lib)
$(BUILD)/faultinject/faultrun.o: ALL_CFLAGS += -DFI_LIBDIR='"$(FI_SHIMDIR)"' \
    -DFI_SHIM_RELDIR='"$(FI_SHIM_RELDIR)"' $(if $(COVERAGE),-DFI_COVERAGE)

ALL_BIN += $(FI_SO) $(FAULTRUN)

# faultrun has FI_SHIMDIR compiled in: rebuild it when PREFIX or FI_SHIMDIR changes.
FI_PREFIX_STAMP := $(BUILD)/faultinject/prefix$(subst /,_,$(PREFIX)+$(FI_SHIMDIR)).stamp
$(FI_PREFIX_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/faultinject/prefix*.stamp
	@touch $@
$(BUILD)/faultinject/faultrun.o: $(FI_PREFIX_STAMP)

$(FI_SO): $(FI_SHIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared $(ALL_LDFLAGS) -o $@ $^ -ldl

$(FAULTRUN): $(FI_RUN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

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
