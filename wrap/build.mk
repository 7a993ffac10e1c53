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
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 wrap/wrap.h $(DESTDIR)$(PREFIX)/include/wrap.h
	install -m 644 $(LIBWRAP) $(DESTDIR)$(LIBDIR)/libwrap.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' wrap/wrap.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/wrap.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/wrap.pc

wrap-uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/wrap.h $(DESTDIR)$(LIBDIR)/libwrap.a \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/wrap.pc
