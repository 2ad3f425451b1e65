# Set-up and everyday targets. Works on a fresh Debian machine as root; every target is
# idempotent (it installs only what is missing).

PYTHON        ?= python3
VENV          := .venv
BENCH_VENV    := .bench-venv
PY            := $(VENV)/bin/python
PIP           := $(VENV)/bin/pip
APT_PACKAGES  := dnsmasq-base tgt libiscsi-bin open-iscsi udhcpc iproute2 util-linux libcap2-bin gcc libc6-dev nftables dnsutils openssh-server
STAMP         := $(VENV)/.installed

.PHONY: run test lint pytest bench system-deps install dev clean

# corrald in the foreground on ./.corral with the default settings (Ctrl-C stops it).
RUN_ROOT      := ./.corral
run: install
	@echo "corrald: starting on $(RUN_ROOT) (sockets in $(RUN_ROOT)/run/corral/)."
	@echo "Talk to it from another terminal:"
	@echo "  $(VENV)/bin/corral --root $(RUN_ROOT) --help        the command line"
	@echo "  $(VENV)/bin/qmp-shell $(RUN_ROOT)/run/corral/corrald-sock   QEMU's qmp-shell"
	@echo "  $(VENV)/bin/qmp-shell $(RUN_ROOT)/run/corral/corrald-sock-ro   read-only"
	@echo "Stop it with Ctrl-C."
	$(VENV)/bin/corrald --root $(RUN_ROOT) -f config/corrald.conf -v

test: install lint pytest

lint: install
	$(VENV)/bin/ruff check core drivers plugins tests bench docs/examples
	$(VENV)/bin/mypy -p corral.core -p corral.drivers -p corral.plugins
	$(VENV)/bin/lint-imports

pytest: install
	$(PY) -m pytest

# The bench venv keeps oslo.concurrency; the corral wheel is replaced on every run, so the
# figures are always those of the code in the tree.
bench: install $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/pip install -q --force-reinstall --no-deps dist/corral-*.whl
	$(BENCH_VENV)/bin/python bench/run.py

# --- installation -------------------------------------------------------------------

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The real wheel, never an editable install: an unlisted subpackage must fail here.
install: system-deps $(PY)
	rm -rf dist build
	$(PIP) wheel -q --no-deps -w dist .
	$(PIP) install -q --force-reinstall --no-deps dist/corral-*.whl
	@[ -f $(STAMP) ] && [ $(STAMP) -nt pyproject.toml ] || { \
	  $(PIP) install -q "$$(ls dist/corral-*.whl)[test]" && touch $(STAMP); }
	rm -rf build

dev: system-deps $(PY)
	$(PIP) install -q -e ".[test]"

$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install -q --upgrade pip
	$(BENCH_VENV)/bin/pip install -q dist/corral-*.whl oslo.concurrency
	touch $@

clean:
	rm -rf $(VENV) $(BENCH_VENV) dist build *.egg-info
