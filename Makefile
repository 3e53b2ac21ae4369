# Conveniences; the README's two commands (scripts/app, scripts/test) need nothing else.
.PHONY: app test dist bench screenshots lint upgrade-lock

app:
	bash scripts/app

test:
	bash scripts/test

dist:
	bash packaging/build_linux.sh

bench:
	bash benchmarks/run

screenshots:
	bash scripts/screenshots.sh

lint:
	.venv/bin/ruff check ecan tests benchmarks

upgrade-lock:
	bash scripts/upgrade-lock
