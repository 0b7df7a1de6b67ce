# Parley's build. On a fresh Debian or Ubuntu machine with Go installed,
# `make run` and `make test` install whatever else is missing themselves
# (scripts/setup.sh, through apt-get, only when missing).
#
#   make run       set up, build and open the app (ARGS="-connect host" to pass flags)
#   make test      set up, then gofmt, go vet, go test -race, the builds, the interop check
#   make build     the app with its window (cgo, Fyne): ./parley
#   make server    the static headless server, no GUI: ./parley-server
#   make bench     load benchmark against gorilla's chat example (~10 min; docs/PERFORMANCE.md)
#   make gui-bench the window's memory and CPU, busy and at rest, under Xvfb (~3 min; docs/PERFORMANCE.md)
#   make package   release packages into dist/; make package-check, make install (see below)
#   make fuzz      every fuzz target of the network code, FUZZTIME each (default 60s)
#   make defences  check that each security test fails with its defence removed
#   make ghost-soak the ghost-user reproduction of issue 9, GHOSTS times (default 3000)
#   make stress    the network packages' tests STRESS times over (default 5), with and without -race
#   make clean

GO     ?= go
APP    := parley
SERVER := parley-server
# Fyne reads the locale from LANG; the C locale gives it no language.
UTF8   := LANG=en_US.UTF-8

.PHONY: all build server bench gui-bench run test setup setup-test fmt-check vet unit memory interop ui-smoke clean

all: build

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh test

build: setup
	$(GO) build -o $(APP) .

server:
	CGO_ENABLED=0 $(GO) build -tags nogui -o $(SERVER) .

run: build
	$(UTF8) ./$(APP) $(ARGS)

# The headless server and gorilla's examples/chat (built from the module
# cache in a temporary folder) under the same loads, interleaved over
# ROUNDS rounds (default 3); prints the side-by-side table.
bench: server
	PARLEY_BIN=./$(SERVER) scripts/bench.sh

# The real window under Xvfb: a 30,000-message flood at 1,000/s, then
# quiet; memory and CPU figures with their commands (scripts/gui-perf.sh).
# Not part of make test: it takes minutes and its figures need a quiet
# machine.
gui-bench: setup-test
	scripts/gui-perf.sh

test: setup-test fmt-check vet unit memory interop ui-smoke
	@echo "make test: all checks passed"

fmt-check:
	@echo "== gofmt"
	@files=$$(git ls-files --cached --others --exclude-standard '*.go'); \
	bad=$$(gofmt -l $$files); \
	if [ -n "$$bad" ]; then echo "gofmt: these files need formatting:"; echo "$$bad"; exit 1; fi

vet:
	@echo "== go vet"
	$(GO) vet ./...
	$(GO) vet -tags nogui .
	@echo "== every defences.py row still finds the code it removes"
	python3 scripts/defences.py --check

unit:
	@echo "== go test -race"
	$(UTF8) $(GO) test -race ./...
	$(GO) test -tags nogui .
	@echo "== the server's suite over its http.Handler path too"
	PARLEY_TEST_PATH=handler $(GO) test -count=1 ./server

# The idle-connection memory budget is checked without the race detector,
# which inflates goroutine stacks.
memory:
	@echo "== idle connection memory"
	$(GO) test -count=1 -run 'TestIdleMemory' -v ./server

# Both binaries must serve headless with no display: the static server and
# the real cgo build run with -server.
interop: server
	@echo "== cgo build"
	$(GO) build -o $(APP) .
	@echo "== interop: python3-websockets against ./$(SERVER) and ./$(APP) -server"
	/usr/bin/python3 scripts/interop.py ./$(SERVER)
	/usr/bin/python3 scripts/interop.py ./$(APP)
	@echo "== interop over TLS: python3-websockets (wss://, key checked by fingerprint) against ./$(SERVER) -tls"
	/usr/bin/python3 scripts/interop_tls.py ./$(SERVER)
	@echo "== interop with a room password: python3-websockets, plain mode over wss://, /pass"
	/usr/bin/python3 scripts/interop_password.py ./$(SERVER)
	@echo "== interop: private messages and moderation (/msg, /host, /topic, /kick, /ban) against ./$(SERVER)"
	/usr/bin/python3 scripts/interop_moderation.py ./$(SERVER)

# ---------------------------------------------------------------------
# UI smoke test under Xvfb: ./$(APP) hosting in one window and joining in
# another, messages typed with xdotool and checked from the other side
# (scripts/e2e.sh; bounded to 3 minutes).
ui-smoke: interop
	@echo "== ui smoke test under Xvfb"
	PARLEY_BIN=./$(APP) scripts/e2e.sh
	@echo "== discovery under Xvfb: a window finds a chat hosted in another network namespace and joins it"
	PARLEY_BIN=./$(APP) scripts/e2e-discovery.sh
# ---------------------------------------------------------------------

# ---------------------------------------------------------------------
# Packages (README, "Installing"). Cold cgo builds take minutes each, so
# none of this is part of make test.
#   make package        Linux .tar.xz, Windows .exe and static servers into dist/
#   make package-check  inspect every package in dist/ (listing, -version, resources)
#   make install        the Linux package into ~/.local, or as root /usr/local
#   make uninstall      remove it again
.PHONY: package package-linux package-windows package-server package-check install uninstall

package: package-linux package-windows package-server

package-linux: setup
	scripts/package.sh linux

# The set-up's package set brings the mingw-w64 cross-compiler.
package-windows:
	scripts/setup.sh package
	scripts/package.sh windows

package-server:
	scripts/package.sh server

package-check:
	scripts/setup.sh package
	scripts/package-check.sh

install:
	@test -f dist/parley-$$(scripts/package-version.sh)-linux-amd64.tar.xz || $(MAKE) package-linux
	scripts/package-install.sh install

uninstall:
	scripts/package-install.sh uninstall
# ---------------------------------------------------------------------

# ---------------------------------------------------------------------
# Fuzzing, not part of make test: each decoder and the server's input path
# for a fixed budget (docs/SECURITY.md). A failure leaves its input in the
# package's testdata/fuzz, where go test runs it from then on.
#   make fuzz FUZZTIME=5m
.PHONY: fuzz
FUZZTIME ?= 60s
FUZZ := ./net/wire:FuzzDecode ./net/wire:FuzzCleanText ./net/nickname:FuzzSkeleton \
	./net/client:FuzzParseAddr ./net/client:FuzzPlainFrame ./net/client:FuzzRichFrames \
	./server:FuzzHandle ./server:FuzzFrames ./server:FuzzHandshake \
	./server:FuzzHandshakeTLS ./net/pin:FuzzParse ./net/client:FuzzParseLink \
	./net/wire:FuzzDecodeClient ./net/wire:FuzzQuotedLen ./net/wire:FuzzDecodeAuth \
	./server:FuzzGate \
	./net/wire:FuzzDecodeSocial ./server:FuzzModeration

fuzz:
	@for t in $(FUZZ); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "== fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# The network packages' tests, run STRESS times in a row (default 5) with
# and without the race detector, over both of the server tests' paths
# (Serve's own accept loop, and the http.Handler with
# PARLEY_TEST_PATH=handler): a flaky test shows here, not in make test.
# Stops at the first failure and says which run it was. Not part of make
# test; about 8 minutes on two cores (STRESS=2 took 3.3).
#   make stress STRESS=20
.PHONY: stress
STRESS ?= 5
STRESS_PKGS := ./server ./net/...

stress:
	@for race in "" "-race"; do \
		for path in serve handler; do \
			if [ $$path = handler ]; then env="PARLEY_TEST_PATH=handler"; else env="-u PARLEY_TEST_PATH"; fi; \
			echo "== go test $$race -count=$(STRESS) $(STRESS_PKGS), the $$path path"; \
			if ! env $$env $(UTF8) $(GO) test $$race -count=$(STRESS) -failfast -timeout 60m $(STRESS_PKGS); then \
				echo "make stress: FAILED in go test $$race -count=$(STRESS) over the $$path path (see above)"; \
				exit 1; \
			fi; \
		done; \
	done; \
	echo "make stress: $(STRESS) runs of $(STRESS_PKGS), with and without -race, over both paths: all passed"

# Each security and fault test must fail with its defence removed: this
# removes them one at a time in a copy of the tree, after a control run
# in which each test must pass twice with its defences in place; the
# failure must match the row's EXPECT (scripts/defences.py).
.PHONY: defences
defences:
	scripts/defences.py
# ---------------------------------------------------------------------

clean:
	rm -f $(APP) $(SERVER)

# The outside reproduction of the ghost-user race (docs/SECURITY.md), run
# GHOSTS times against one server, which must be empty afterwards.
.PHONY: ghost-soak
GHOSTS ?= 3000
ghost-soak:
	$(GO) test -count=1 -timeout 30m -run '^TestGhostSoak$$' ./server -args -ghost-soak $(GHOSTS)
