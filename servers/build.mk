# servers/: the fork and thread echo servers and the client, on libwrap.
# Included by the root Makefile.

SERVERS_COMMON := $(addprefix $(BUILD)/servers/,echo.o options.o listener.o serve.o)

$(BUILD)/servers/%.o: ALL_CFLAGS += -Iwrap

$(SERVER_FORK): $(BUILD)/servers/server_fork.o $(SERVERS_COMMON) $(LIBWRAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(SERVER_THREAD): $(BUILD)/servers/server_thread.o $(SERVERS_COMMON) $(LIBWRAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

$(CLIENT): $(BUILD)/servers/client.o $(LIBWRAP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^

ALL_BIN += $(SERVER_FORK) $(SERVER_THREAD) $(CLIENT)

# Installed under names that cannot clash with other programs.
SERVERS_INSTALL_NAMES := server_fork:faultkit-server-fork \
                         server_thread:faultkit-server-thread \
                         client:faultkit-echo-client

.PHONY: servers-install servers-uninstall
INSTALL_RUN   += servers-install
UNINSTALL_RUN += servers-uninstall

servers-install: $(SERVER_FORK) $(SERVER_THREAD) $(CLIENT)
	install -d $(DESTDIR)$(PREFIX)/bin
	@for p in $(SERVERS_INSTALL_NAMES); do \
	  echo "install -m 755 $(BUILD)/servers/$${p%%:*} $(DESTDIR)$(PREFIX)/bin/$${p#*:}"; \
	  install -m 755 $(BUILD)/servers/$${p%%:*} $(DESTDIR)$(PREFIX)/bin/$${p#*:} || exit 1; \
	done

servers-uninstall:
	@for p in $(SERVERS_INSTALL_NAMES); do \
	  echo "rm -f $(DESTDIR)$(PREFIX)/bin/$${p#*:}"; rm -f $(DESTDIR)$(PREFIX)/bin/$${p#*:}; \
	done
