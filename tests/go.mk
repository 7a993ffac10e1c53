# tests/go.mk: the Go programs of the trace backend's tests (test_trace_go
# in tests/fi.mk): tests/go/httpserver and tests/go/httpclient, stdlib
# only, built by Debian's golang-go (sh scripts/deps.sh go) into
# $(BUILD)/go/ with CGO_ENABLED=0 (static: faultrun's auto backend traces
# them), no network (GOPROXY=off, a go.mod without requirements), the
# local toolchain only, and the Go caches inside build/ (one for every
# BUILD variant: the programs do not depend on SANITIZE or coverage, and
# the standard library is compiled once, not once per variant).
# Without go they are not built and test_trace_go says NOT RUN.

GO        ?= go
GO_FOUND  := $(shell command -v $(GO) 2>/dev/null)
GO_DIR    := $(BUILD)/go
GO_PROGS  := $(GO_DIR)/httpserver $(GO_DIR)/httpclient
GO_SRCS   := tests/go/go.mod $(wildcard tests/go/*/*.go)
GO_CACHES := $(abspath build)/go-cache
GO_ENV    := CGO_ENABLED=0 GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
             GOWORK=off GOTELEMETRY=off GOCACHE=$(GO_CACHES)/build GOPATH=$(GO_CACHES)/path

ifneq ($(GO_FOUND),)
ALL_BIN += $(GO_PROGS)
fi-test: $(GO_PROGS)
endif

$(GO_PROGS): $(GO_DIR)/%: $(GO_SRCS)
	@mkdir -p $(GO_DIR)
	cd tests/go && $(GO_ENV) $(GO) build -trimpath -o $(abspath $@) ./$*
