.PHONY: run test check bench
# Each target is one call of scripts/dev.sh, which creates .venv and installs what it needs.
run:
	./scripts/dev.sh run
test:
	./scripts/dev.sh test
check:
	./scripts/dev.sh check
bench:
	./scripts/dev.sh bench
