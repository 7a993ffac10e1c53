# tests/realworld.mk: real programs, as users run them (issues 8, 14): nginx
# and redis-server, and the clients socat, nc, wget and node, under faultrun,
# see tests/realworld/realworld.sh. Included by the root Makefile.
#
#   make realworld [REALWORLD_RULES='rd:short:p=0.3 ...'] [RW_SEED=N] [RW_ONLY='clients']
#
# Its packages (nginx-light, redis-server, redis-tools, curl, socat,
# netcat-openbsd, wget, nodejs, iproute2) are installed
# by scripts/deps.sh like cmocka's: as root with apt-get, otherwise it fails
# with the exact command.

REALWORLD_RULES ?=

.PHONY: deps-realworld
deps-realworld:
	@sh scripts/deps.sh realworld

# The script bounds every transfer (curl -m 30, timeout 30); the guard stops a hung run.
realworld: deps-realworld $(FAULTRUN) $(FI_SO) $$(LOADGEN)
	timeout -k 10 600 bash tests/realworld/realworld.sh $(FAULTRUN) $(LOADGEN) $(REALWORLD_RULES)
