# Two commands matter: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run run-sso test oidc-provider install lint typecheck pytest serve demo migrate lock i18n bench clean toegankelijkheid

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## make run: environment, migrations, demo data (only into an empty database), server on 127.0.0.1:8000,
## in development mode (the public development SECRET_KEY is accepted only then)
run: install
	DEVELOPMENT=true $(BIN)/portfolio demo
	DEVELOPMENT=true MAIL_TO_CONSOLE=true SECOND_FACTOR_REQUIRED=false $(BIN)/portfolio serve --host 127.0.0.1 --port 8000 --with-worker

## make run-sso: the demo with the school sign-in: two demo OpenID providers (SURFconext on 8090, eduID on 8091),
## the app on 127.0.0.1:8000 with a database of its own (data/sso-demo.db); prints which accounts to use (docs/sso.md)
run-sso: install oidc-provider
	$(BIN)/python -m app.demo.sso_run

## make test: lint, types, and the whole suite (SQLite; PostgreSQL too, in parallel, when TEST_DATABASE_URL is set)
test: install lint typecheck oidc-provider pytest

## the OpenID provider the sign-in tests run against (panva's oidc-provider, from tests/oidc/package-lock.json)
oidc-provider: tests/oidc/node_modules/.installed

tests/oidc/node_modules/.installed: tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: the SSO tests against oidc-provider will skip"; exit 0; }; \
		npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error && touch $@

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	@# With TEST_DATABASE_URL the SQLite and PostgreSQL passes run side by side (.ci/pytest_passes.py).
	$(BIN)/python .ci/pytest_passes.py tests

migrate: install
	$(BIN)/portfolio migrate

## make bench: benchmarks against a real server (pages vs. their SQL floor, load, 1 GiB upload); see bench/README.md
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make toegankelijkheid: run the browser tests and put what they checked into the accessibility statement
toegankelijkheid: install
	REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser || true
	cp test-results/toegankelijkheid.json app/privacy/toegankelijkheid.json

## make lock: re-resolve dependencies from pyproject.toml into requirements.lock
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/lock-venv/bin/pip install --quiet -e ".[dev]"
	/tmp/lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

## make i18n: extract strings and update the English catalog
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -o /tmp/messages.pot --no-location --sort-output \
		-k N_ -k lazy -k lazy_n:1,2 -k DomainError -k NotFound -k Forbidden -k Conflict -k InvalidInput -k TooManyRequests -k NotAuthenticated \
		-k UploadError -k UploadRefused -k MalformedUpload -k TooManyFiles .
	$(BIN)/pybabel update -i /tmp/messages.pot -d app/locale -l en --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) data
