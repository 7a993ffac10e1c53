# wrap/build.mk: libwrap.a (the hardened course wrappers) and its install.

WRAP_OBJS := $(BUILD)/wrap/wrap.o

$(LIBWRAP): $(WRAP_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

ALL_BIN       += $(LIBWRAP)
INSTALL_RUN   += wrap-install
UNINSTALL_RUN += wrap-uninstall

.PHONY: wrap-install wrap-uninstall

# wrap.h, libwrap.a and a pkg-config file (pkg-config --cflags --libs wrap).
wrap-install: $(LIBWRAP)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 wrap/wrap.h $(DESTDIR)$(PREFIX)/include/wrap.h
	install -m 644 $(LIBWRAP) $(DESTDIR)$(PREFIX)/lib/libwrap.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' wrap/wrap.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/wrap.pc
	chmod 644 $(DESTDIR)$(PREFIX)/lib/pkgconfig/wrap.pc

wrap-uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/wrap.h $(DESTDIR)$(PREFIX)/lib/libwrap.a \
	      $(DESTDIR)$(PREFIX)/lib/pkgconfig/wrap.pc
