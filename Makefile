# Makefile for the tags PostgreSQL extension (PGXS)
#
#   make && sudo make install     build and install into the server
#   make demo                     try it in a throwaway cluster
#   make test                     the whole test suite in a throwaway cluster
#   make test-versions            the suites on every PostgreSQL built by
#                                 scripts/build-postgres.sh N, and Debian's
#   make test-citus               the Citus suite on a throwaway cluster
#   make deb                      the Debian package, in build/deb/
#   make package-test             the Debian package and the PGXN zip built,
#                                 installed, tested, upgraded and removed
#   make dist                     the PGXN release, tags-<version>.zip

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

# every file is a test: a new test is just a new file (found in $(srcdir),
# so that a build in a directory of its own, make -f ../Makefile
# VPATH=.., as the Debian package's, finds them too)
REGRESS = $(patsubst $(srcdir)/sql/%.sql,%,$(sort $(wildcard $(srcdir)/sql/*.sql)))
REGRESS_OPTS = --load-extension=tags
ISOLATION = $(patsubst $(srcdir)/specs/%.spec,%,$(sort $(wildcard $(srcdir)/specs/*.spec)))
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

# a build in a directory of its own makes its objects in src/ there
ifdef VPATH
$(shell mkdir -p src)
endif

# each full install script from the frozen 1.0 and the upgrades after it
# (the prerequisites are found in $(srcdir) by VPATH)
tags--1.1.sql: tags--1.0.sql tags--1.0--1.1.sql scripts/make-install-script.sh
tags--1.2.sql: tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql scripts/make-install-script.sh
tags--1.3.sql: tags--1.0.sql tags--1.0--1.1.sql tags--1.1--1.2.sql tags--1.2--1.3.sql scripts/make-install-script.sh
$(DATA_built):
	$(filter %.sh,$^) $(filter %.sql,$^) > $@

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

# the Debian package, in build/deb/ (scripts/deb.sh, doc/packaging.md)
.PHONY: deb
deb:
	scripts/deb.sh

# not part of test: removes any install of tags, builds the packages of
# this version and of the one before, installs, tests, upgrades and
# removes them, then does the same with the PGXN zip
# (scripts/package-test.sh, doc/packaging.md)
.PHONY: package-test
package-test: deps
	scripts/package-test.sh

# the PGXN release: tags-<version>.zip, git archive of the tag v<version>
# (or of HEAD, untagged) (scripts/dist.sh)
.PHONY: dist
dist:
	scripts/dist.sh

.PHONY: bench
bench: deps
	bench/run.sh

# a tenant's calls on a Citus cluster against a single server (bench/citus.sh)
.PHONY: bench-citus
bench-citus: deps
	bench/citus.sh
