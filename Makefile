# Storefront — one entry point for building, generating, testing and running the fleet.
# `make run` and `make test` are the two commands of the README.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/.bin
TOOLS      := $(BIN)/buf $(BIN)/protoc-gen-go $(BIN)/protoc-gen-go-grpc $(BIN)/protoc-gen-grpc-gateway $(BIN)/protoc-gen-openapiv2 $(BIN)/staticcheck $(BIN)/stripe-mock
# Every module of the workspace (go.work), as ./dir/... patterns: `go test ./...` at the root
# would cover the root module only.
MODULES    := $(shell go list -m -f '{{.Dir}}' | sed 's|^$(CURDIR)|.|')
PKGS       := $(addsuffix /...,$(MODULES))
# Binaries `make build` builds: the launcher, every process of the fleet it starts, and the
# operators' CLI (storefrontctl, not started by `make run`).
FLEET      := ./cmd/storefront ./gateway/cmd/gateway ./services/identity/cmd/identity ./services/catalog/cmd/catalog ./services/cart/cmd/cart ./services/payments/cmd/payments ./services/ordering/cmd/ordering ./services/notifications/cmd/notifications ./services/reviews/cmd/reviews ./services/content/cmd/content ./services/support/cmd/support ./services/operations/cmd/operations ./projections/cmd/projector ./cmd/storefrontctl
GO_TEST_FLAGS ?= -race -count=1 -timeout 20m
FUZZTIME ?= 10s

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------------------- tools

$(BIN)/%: tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	cd tools && GOWORK=off GOBIN=$(BIN) go install tool
	@touch $(TOOLS)

.PHONY: tools
tools: $(TOOLS) ## Build the pinned tools (tools/go.mod) into .bin/.

node_modules/google-proto-files/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# ----------------------------------------------------------------------------- web

WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build

.PHONY: web
web: web/dist/index.html ## Build the web storefront into web/dist/ when missing or stale (the gateway serves it).

# ------------------------------------------------------------------------ generate

.PHONY: third-party
third-party: node_modules/google-proto-files/package.json ## Copy the imported .proto files from their pinned packages.
	rm -rf third_party && mkdir -p third_party/google/api third_party/protoc-gen-openapiv2/options
	cp node_modules/google-proto-files/google/api/{annotations,http,field_behavior}.proto third_party/google/api/
	gw=$$(cd tools && GOWORK=off go list -m -f '{{.Dir}}' github.com/grpc-ecosystem/grpc-gateway/v2) && \
	  cp "$$gw"/protoc-gen-openapiv2/options/{annotations,openapiv2}.proto third_party/protoc-gen-openapiv2/options/
	chmod -R u+w third_party

.PHONY: generate
generate: tools third-party ## Regenerate protobuf, gRPC, gateway and OpenAPI code from proto/, and the Grafana dashboards.
	find proto -name '*.pb.go' -o -name '*.pb.gw.go' | xargs -r rm -f
	rm -f gateway/openapi/*.json
	$(BIN)/buf generate
	mv gateway/openapi/storefront.swagger.json gateway/openapi/openapi.json
	go run ./gateway/cmd/openapi-policy gateway/openapi/openapi.json
	rm -f deploy/monitoring/dashboards/*.json
	go run ./deploy/monitoring/dashboards/gen deploy/monitoring/dashboards
	$(MAKE) --no-print-directory web/node_modules/.package-lock.json
	cd web && npm run --silent generate

.PHONY: check-generated
check-generated: generate ## Fail when the committed generated code differs from what make generate writes.
	@if [ -n "$$(git status --porcelain -- proto gateway/openapi deploy/monitoring/dashboards web/src/api)" ]; then \
	  echo "Generated code is stale: run 'make generate' and commit the result." >&2; \
	  git status --porcelain -- proto gateway/openapi deploy/monitoring/dashboards web/src/api >&2; \
	  git --no-pager diff --stat -- proto gateway/openapi deploy/monitoring/dashboards web/src/api >&2; exit 1; fi

# ---------------------------------------------------------------------------- lint

.PHONY: lint
lint: tools third-party ## gofmt, go vet, staticcheck, buf lint and breaking, generated-code freshness.
	@bad=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.\(gw\.\)\?go$$')); \
	  if [ -n "$$bad" ]; then echo "gofmt would change:"; echo "$$bad"; exit 1; fi
	go vet $(PKGS)
	$(BIN)/staticcheck $(PKGS)
	$(BIN)/buf lint
	scripts/buf-breaking.sh
	$(MAKE) --no-print-directory check-generated
	cd web && npx tsc -b

# ---------------------------------------------------------------------------- test

.PHONY: test
test: tools ## Unit and integration tests of every module, with -race, against real PostgreSQL and NATS; the web app's component tests.
	go test $(GO_TEST_FLAGS) $(PKGS)
	$(MAKE) --no-print-directory web/node_modules/.package-lock.json
	cd web && npm test --silent

.PHONY: fuzz
fuzz: ## Run each fuzz target briefly (FUZZTIME=10s).
	scripts/fuzz.sh $(FUZZTIME)

.PHONY: bench
bench: tools ## Run every benchmark program under bench/cmd/ and print its BENCH lines.
	@progs=$$(ls -d bench/cmd/*/ 2>/dev/null || true); \
	  if [ -z "$$progs" ]; then echo "no benchmark programs under bench/cmd/"; exit 0; fi; \
	  for p in $$progs; do echo "== $$p"; go run ./$$p; done

# ----------------------------------------------------------------------------- run

.PHONY: build
build: ## Build the fleet's binaries into .bin/.
	@mkdir -p $(BIN)
	go build -o $(BIN)/ $(FLEET)

TAG ?= $(shell git rev-parse --short HEAD)

.PHONY: images
images: ## Build one image per binary of the fleet (Docker with BuildKit): storefront/<name>:$(TAG), from deploy/docker/Dockerfile.
	@for cmd in $(FLEET); do name=$$(basename $$cmd); \
	  echo "docker build -f deploy/docker/Dockerfile --build-arg CMD=$${cmd#./} -t storefront/$$name:$(TAG) ."; \
	  docker build -f deploy/docker/Dockerfile --build-arg CMD=$${cmd#./} -t storefront/$$name:$(TAG) . || exit 1; \
	done

.PHONY: run
run: build tools web ## Run the whole fleet locally, with the web storefront (Ctrl-C stops it).
	$(BIN)/storefront run -bin $(BIN) -data $(CURDIR)/.data -web $(CURDIR)/web/dist

.PHONY: clean-data
clean-data: build ## Wipe the local state of make run (.data/ and the database it made).
	$(BIN)/storefront clean-data -data $(CURDIR)/.data

.PHONY: clean
clean: ## Remove built tools and binaries (not .data/).
	rm -rf .bin third_party node_modules web/node_modules web/dist
