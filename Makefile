# Parley: `make run` serves the demo on http://localhost:8080; `make test` runs every test.
export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
BIN     := bin/parley
MODELS  ?= models
ADDR    ?= :8080
DATA    ?= data
BROWSER := test/e2e/browser
OPENAI_CLIENT := test/e2e/openai-client
EDGE    := bin/edge

.PHONY: run test setup build models browser-deps bench fmt vet clean

run: setup build models
	$(BIN) serve --addr $(ADDR) --data $(DATA)

test: setup build models browser-deps
	$(GO) vet ./...
	PARLEY_MODELS=$(CURDIR)/$(MODELS) $(GO) test -race -timeout 25m ./...
	PARLEY_MODELS=$(CURDIR)/$(MODELS) GOOS=js GOARCH=wasm $(GO) test -exec "$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" ./edge/

setup:
	@scripts/setup.sh

build:
	$(GO) build -o $(BIN) ./cmd/parley
	mkdir -p $(EDGE)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(EDGE)/parley.wasm ./cmd/parley-edge
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(EDGE)/wasm_exec.js

models: build
	$(BIN) models install --dir $(MODELS)

browser-deps: $(BROWSER)/node_modules/.package-lock.json $(OPENAI_CLIENT)/node_modules/.package-lock.json

$(BROWSER)/node_modules/.package-lock.json: $(BROWSER)/package-lock.json
	cd $(BROWSER) && npm ci --no-audit --no-fund

$(OPENAI_CLIENT)/node_modules/.package-lock.json: $(OPENAI_CLIENT)/package-lock.json
	cd $(OPENAI_CLIENT) && npm ci --no-audit --no-fund

bench: build models
	PARLEY_MODELS=$(CURDIR)/$(MODELS) $(GO) test -run '^$$' -bench . -benchtime 2s ./nlu/... ./nn/... ./perception/... ./internal/server/...

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
