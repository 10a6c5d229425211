# Makefile for the tags PostgreSQL extension (PGXS)
#
#   make && sudo make install     build and install into the server
#   make demo                     try it in a throwaway cluster
#   make test                     the whole test suite in a throwaway cluster
#   make test-versions            the suites on every PostgreSQL built by
#                                 scripts/build-postgres.sh N, and Debian's
#   make test-citus               the Citus suite on a throwaway cluster

EXTENSION = tags
MODULE_big = tags
OBJS = src/tags.o src/normalize.o src/plan_cache.o src/spi_call.o src/args.o \
	src/slug_locks.o src/get_or_create.o src/tags_trigger.o src/targets.o \
	src/target_statements.o src/citus.o src/counters.o src/copies.o src/rebuild.o \
	src/tag_readers.o src/counts.o src/readers.o src/writers.o \
	src/target_setup.o src/tag_names.o src/merge_prune.o src/guard.o
# tags--1.0.sql is released and frozen; each later version comes as an
# upgrade script, and its full install script is made from them (so that a
# fresh install and an upgrade run the same statements)
DATA = tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql tags--1.2--1.3.sql
DATA_built = tags--1.1.sql tags--1.2.sql tags--1.3.sql

PG_CPPFLAGS = -I$(srcdir)/src $(ICU_CFLAGS)
SHLIB_LINK = $(ICU_LIBS)

# every file is a test: a new test is just a new file
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=tags
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=tags
# TAP tests (t/*.pl) run through scripts/run-tap.sh, as make test does

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# Without the server headers only the targets that install them work.
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
all install installcheck:
	@echo "PostgreSQL server headers not found: run 'make deps' (or 'make test', which does it)" >&2
	@exit 1
endif

# PGXS does not track headers
$(OBJS): src/tags.h

tags--1.1.sql: tags--1.0.sql tags--1.0--1.1.sql scripts/make-install-script.sh
	scripts/make-install-script.sh tags--1.0.sql tags--1.0--1.1.sql > $@

tags--1.2.sql: tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql scripts/make-install-script.sh
	scripts/make-install-script.sh tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql > $@

tags--1.3.sql: tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql tags--1.2--1.3.sql scripts/make-install-script.sh
	scripts/make-install-script.sh tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql tags--1.2--1.3.sql > $@

.PHONY: deps demo test

# Debian/Ubuntu packages the build and the tests need
deps:
	scripts/install-deps.sh

demo: deps
	scripts/demo.sh

test: deps
	scripts/test.sh

# not part of test: the versions are built from a clone of PostgreSQL
# (scripts/build-postgres.sh, doc/versions.md).  It runs no client example,
# so it does without make deps; a Debian server is tested when its headers
# (postgresql-server-dev-N) are installed.
.PHONY: test-versions
test-versions:
	scripts/test-versions.sh

# not part of test: builds Citus from a clone of citusdata/citus
# (scripts/build-citus.sh) and runs citus/ on a coordinator and two workers
# (doc/citus.md)
.PHONY: test-citus
test-citus: deps
	scripts/test-citus.sh

.PHONY: bench
bench: deps
	bench/run.sh

# a tenant's calls on a Citus cluster against a single server (bench/citus.sh)
.PHONY: bench-citus
bench-citus: deps
	bench/citus.sh
