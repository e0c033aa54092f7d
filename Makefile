# Two commands: `make demo` and `make test`. Both set up .venv on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Numba's cache notices only changes to a kernel's own file, not to the njit functions it inlines
# from other files; a folder per source fingerprint means an edited tree never reads stale kernels.
ifndef NUMBA_CACHE_DIR
NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache/$(shell find src/bmdcheck -name '*.py' | LC_ALL=C sort | xargs cat | sha1sum | cut -c1-12)
endif
export NUMBA_CACHE_DIR
export BMDCHECK_CACHE_DIR ?= $(CURDIR)/.cache

.PHONY: demo test setup bench clean web-assets chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/bmdcheck demo

test: $(STAMP) web-assets chromium
	BMDCHECK_BROWSER_TESTS=required $(BIN)/python -m pytest -q -n 2 --dist loadfile

# The control room's CesiumJS: pinned in tools/web/package-lock.json (cesium 1.140.0, the last
# release for Node 20); only Build/Cesium is copied into the package's static folder (gitignored).
WEB := tools/web
CESIUM := src/bmdcheck/web/static/cesium
$(CESIUM)/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(CESIUM).tmp && cp -R $(WEB)/node_modules/cesium/Build/Cesium $(CESIUM).tmp
	rm -rf $(CESIUM) && mv $(CESIUM).tmp $(CESIUM)
	touch $@

web-assets: $(CESIUM)/.installed

# Browser tests drive Debian's chromium (never a browser downloaded by Playwright).
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
chromium:
	test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

bench: $(STAMP)
	$(BIN)/bmdcheck bench flight

clean:
	rm -rf $(VENV) .numba_cache .cache .pytest_cache $(CESIUM) $(WEB)/node_modules
