# Mentorbot — `make run` and `make test` work on a fresh machine with Python >= 3.11 and make.
# The first of python3.13, python3.12, python3.11, python3 that runs and is >= 3.11 builds .venv
# (a name that exists but does not run, e.g. a pyenv shim for a version not selected, is skipped).
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3.13 python3.12 python3.11 python3,\
	$(shell $(p) -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null | grep -qx True && echo $(p))))
endif
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCALE := conversations/locale

.PHONY: run test install lint typecheck pytest soak extract demo clean

$(BIN)/mentorbot: pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: Python 3.11 or newer is needed (python3.13/3.12/3.11/python3)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The gettext catalogues need no build step: Mentorbot reads the .po files at run time.
install: $(BIN)/mentorbot

# Re-extract the English source strings and merge them into the Finnish catalogue.
extract: $(BIN)/mentorbot
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k _ -k ngettext:1,2 \
		-o $(LOCALE)/messages.pot conversations adapters
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --no-fuzzy-matching --ignore-obsolete

# make run resumes mentorbot-demo.db where it left off; make run FRESH=1 starts over.
run: install
	$(BIN)/mentorbot demo --seed-only --db mentorbot-demo.db $(if $(FRESH),--fresh,)
	$(BIN)/mentorbot --database-url sqlite:///mentorbot-demo.db console \
		--as aino@demo.example --now '2027-01-11 09:00' --resume

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# In parallel (pytest-xdist): one worker per core; each has its own SQLite files and PostgreSQL
# schema. Long tests start first and idle workers steal queued ones, so no worker ends alone.
PYTEST_WORKERS ?= auto
pytest: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

test: lint typecheck pytest

# The soak (two clocks and two servers on PostgreSQL, kills, four simulated weeks): a few minutes
# with the machine to itself, so not part of make test; CI runs it after. Needs
# MENTORBOT_TEST_DATABASE_URL. -s: its figures go to the log.
soak: install
	MENTORBOT_SOAK=1 $(BIN)/pytest -q -s tests/test_soak.py

demo: install
	$(BIN)/mentorbot demo

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache mentorbot-demo.db* \
		$(wildcard $(LOCALE)/*/LC_MESSAGES/*.mo)
