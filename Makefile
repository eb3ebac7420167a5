# Mentorbot — `make run` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCALE := conversations/locale
PO     := $(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run test install lint typecheck pytest catalogs extract demo clean

$(BIN)/mentorbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/mentorbot catalogs

# Compiled gettext catalogues (.mo) are build products: made from the .po files, never by hand.
catalogs: $(MO)

$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po $(BIN)/mentorbot
	$(BIN)/pybabel compile -d $(LOCALE) -D messages -l $* --statistics

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

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

demo: install
	$(BIN)/mentorbot demo

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache $(MO) mentorbot-demo.db*
