# debian/build.mk: make deb (issue 16). Included by the root Makefile.
# scripts/deb.sh builds the .deb from a copy of the tree under build/deb/,
# runs lintian on it, and runs what it installs (see the script).
.PHONY: deb
deb:
	@sh scripts/deps.sh deb
	@sh scripts/deb.sh
