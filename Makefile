# Lectr. The README's two commands: `make run` and `make test`; `make check` type-checks everything.
# Bun comes from the npm registry (pinned) when none is on PATH; nothing is downloaded from anywhere else.
BUN_VERSION := 1.4.5
LOCAL_BUN := $(CURDIR)/.tools/node_modules/.bin/bun
BUN := $(or $(shell command -v bun 2>/dev/null),$(LOCAL_BUN))
export PATH := $(dir $(BUN)):$(PATH)

.PHONY: run test unit check smoke build bench bench-soak bench-routing bench-scrape bench-export bench-postgres bench-read-stall browser postgres deps clean

run: deps
	$(BUN) run src/main.ts

test: deps browser postgres
	$(BUN) test --timeout 30000
	$(MAKE) --no-print-directory smoke

unit: deps postgres
	$(BUN) test --timeout 30000

# tsc, strict, over src, views, test and bench (tsconfig.json's include): tests are code too.
check: deps
	$(BUN) x tsc --noEmit -p .

build: dist/lectr

dist/lectr: deps $(shell find src views public -type f 2>/dev/null) package.json
	$(BUN) build src/main.ts src/storage/sqlite/checkpoint-worker.ts --compile --minify --sourcemap=none \
		--no-compile-autoload-dotenv --no-compile-autoload-bunfig --outfile dist/lectr

# The compiled binary, copied alone into an empty directory, starts, serves and proxies.
smoke: dist/lectr
	$(BUN) test/smoke/run.ts dist/lectr

# BENCH_QUICK=1 for a smoke run; BENCH_EVENTS sets the size of the big event log (cached in bench/.cache).
bench: deps dist/lectr
	$(BUN) bench/run.ts

# Five minutes of load, then RSS at idle compared with RSS after the first minute.
bench-soak: deps dist/lectr
	$(BUN) bench/soak.ts

# Routing: 100 rules on the proxy path, and a dry run over the 10M-event log (BENCH_EVENTS).
bench-routing: deps
	$(BUN) bench/routing.ts

# Requests/s with a /metrics scrape every second against none (10 interleaved rounds of 5 s each way, ~2 min).
bench-scrape: deps dist/lectr
	$(BUN) bench/scrape.ts

# The events export (NDJSON and CSV) over the 10M-event log: time and Lectr's peak RSS growth (~10 min here).
bench-export: deps dist/lectr
	$(BUN) bench/export.ts

# One writer's batched event inserts (with their roll-ups) into a throwaway local Postgres, in events/s; then
# requests/s of dist/lectr on Postgres against on SQLite (3 interleaved rounds of 5 s at 32 connections, ~1 min).
# The pages at a big log on Postgres against SQLite: `BENCH_DB=bench/.cache/events-…db bun bench/postgres-pages.ts`.
bench-postgres: deps postgres dist/lectr
	$(BUN) bench/postgres-writes.ts
	$(BUN) bench/postgres-rps.ts

# Does reading stall forwarding? Each dashboard page and admin read over the 10M-event log, with proxied requests
# sent every 1 ms meanwhile: the read's time and bytes, the requests' added latency against idle (~3 min here).
bench-read-stall: deps dist/lectr
	$(BUN) bench/read-stall.ts

deps: $(BUN) node_modules/.installed

$(LOCAL_BUN):
	mkdir -p .tools
	test -f .tools/package.json || echo '{"private":true}' > .tools/package.json
	npm install --prefix .tools --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)

node_modules/.installed: package.json bun.lock
	$(BUN) install --frozen-lockfile
	touch $@

# Debian's Chromium for the browser tests (playwright-core drives it; it cannot download a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
		{ echo "could not install chromium (need root and Debian's packages)"; exit 1; }; }

# Debian's Postgres server for the tests under test/postgres (each starts its own throwaway cluster, as the
# `postgres` user: test/helpers/postgres.ts). Only the binaries are needed; no cluster of the package is used.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql for the Postgres tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) || \
		{ echo "could not install postgresql (need root and Debian's packages)"; exit 1; }; }

clean:
	rm -rf dist node_modules .tools
