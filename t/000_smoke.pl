use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION tags');
is($node->safe_psql('postgres', q{SELECT slug FROM tags_get_or_create(ARRAY['Smoke Test'])}),
	'smoke-test', 'a tag is created');
$node->stop;
done_testing();
