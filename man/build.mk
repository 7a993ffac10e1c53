# man/: the manual pages, in mdoc. Included by the root Makefile.
#   make test        lints them (mandoc -T lint -W warning, and man --warnings
#                    as `man -l` renders them: any warning fails) and checks
#                    that faultrun.1 lists the calls and faults of names.h
#                    (scripts/man_names.sh)
#   make install     installs them under $(PREFIX)/share/man: `man faultrun`

MAN_PAGES := man/faultrun.1 man/faultinject.3 man/faultkit-server-fork.1
# `man fi_set` and the like find faultinject(3) through a one-line .so page,
# the other two installed server programs faultkit-server-fork(1).
MAN_LINKS := fi_set fi_clear fi_fired fi_error fi_active
MAN1_LINKS := faultkit-server-thread faultkit-echo-client
MAN_DIR    = $(DESTDIR)$(PREFIX)/share/man

.PHONY: man-lint man-install man-uninstall
TEST_RUN      += man-lint
INSTALL_RUN   += man-install
UNINSTALL_RUN += man-uninstall

man-lint: $(MAN_PAGES) $$(FI_NAMES_LIST)
	sh scripts/man_names.sh $(FI_NAMES_LIST) man/faultrun.1
	mandoc -T lint -W warning $(MAN_PAGES)
	@for p in $(MAN_PAGES); do \
	  out=$$(MANWIDTH=80 man --warnings -l $$p 2>&1 >/dev/null) || { echo "man -l $$p failed"; exit 1; }; \
	  [ -z "$$out" ] || { echo "man -l $$p: $$out"; exit 1; }; \
	done

man-install: $(MAN_PAGES)
	@for p in $(MAN_PAGES); do \
	  s=$${p##*.}; \
	  echo "install -m 644 $$p $(MAN_DIR)/man$$s/"; \
	  install -d $(MAN_DIR)/man$$s && install -m 644 $$p $(MAN_DIR)/man$$s/ || exit 1; \
	done; \
	for n in $(MAN_LINKS); do \
	  echo '.so man3/faultinject.3' > $(MAN_DIR)/man3/$$n.3 || exit 1; \
	done; \
	for n in $(MAN1_LINKS); do \
	  echo '.so man1/faultkit-server-fork.1' > $(MAN_DIR)/man1/$$n.1 || exit 1; \
	done

man-uninstall:
	@for p in $(MAN_PAGES); do \
	  f=$(MAN_DIR)/man$${p##*.}/$${p#man/}; echo "rm -f $$f"; rm -f $$f; \
	done; \
	for n in $(MAN_LINKS); do rm -f $(MAN_DIR)/man3/$$n.3; done; \
	for n in $(MAN1_LINKS); do rm -f $(MAN_DIR)/man1/$$n.1; done
