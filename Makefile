# Set-up and day-to-day commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test fuzz bench lint format clean

# Runtime packages only; the test tools come with `make test`.
$(VENV)/.installed-runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# The browser tests drive Debian's Chromium (never a downloaded browser); the
# TypeScript client check needs Node.js and npm.
$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed-runtime
	command -v chromium >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	command -v npm >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# A git-ignored .env for a loopback deployment: a fresh secret key, production
# mode, plain HTTP on 127.0.0.1.
.env:
	@printf '%s\n' \
		"# Written by 'make run' on first use; git-ignored. See README.md." \
		"DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		"DJANGO_DEBUG=0" \
		"DJANGO_HTTPS=0" > $@
	@echo "Wrote .env with a new secret key."

# The address is checked first, so a second `make run` migrates nothing.
# Then the Procfile's processes, the server and a worker, side by side
# (honcho; Ctrl-C stops both).
run: $(VENV)/.installed-runtime .env
	@$(BIN)/python -m todoapp.serve --check
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed --if-empty
	PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho start

test: $(VENV)/.installed-dev
	$(BIN)/pytest

# A longer fuzzing run than the one in `make test`, with a random seed:
# FUZZ_EXAMPLES test cases per operation (PostgreSQL when DATABASE_URL says so).
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} FUZZ_SEED= $(BIN)/pytest -s todoapp/tests/test_live_fuzz.py

# The load benchmark (README, Performance): seeds 10,000 and 1,000,000 todos
# in PostgreSQL (BENCH_DATABASE_URL, default todoapp_bench on the local
# server), serves them with gunicorn, drives them with wrk, times the
# reminder scheduler's tick on the large set, prints the table and writes
# bench/results/latest.{json,md}, and a flame graph per scenario and scale
# (py-spy) in bench/results/<scale>-<scenario>.svg. About 30 minutes.
bench: $(VENV)/.installed-dev
	command -v wrk >/dev/null || (apt-get update && apt-get install -y wrk)
	pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect \
		"$$(ls /etc/postgresql)" main start
	redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes \
		--bind 127.0.0.1 --port 6379 --save "" --appendonly no
	$(BIN)/python -m bench.run --scale small --profile
	$(BIN)/python -m bench.run --scale large --profile
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.report

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles
