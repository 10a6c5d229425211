
# Queries that render what the read functions return, one text per row in
# a fixed order, so that two databases can be compared line by line
# (003_backup.pl: a restored copy; 004_replica.pl: a standby).

package TagsReads;

use strict;
use warnings;

# every post's tags, in order, with every column
our $POST_GET_TAGS = q{
SELECT p.id || ': ' || coalesce(
    (SELECT string_agg(format('%s/%s/%s/%s', t.id, t.name, t.slug, t.created_at),
                       ', ' ORDER BY t.ord)
     FROM post_get_tags(p.id) WITH ORDINALITY
          AS t(id, name, slug, created_at, ord)), '')
FROM posts AS p ORDER BY p.id};

# tag_counts(), in its own order
our $TAG_COUNTS = q{
SELECT format('%s|%s|%s|%s', id, name, slug, post_count)
FROM tag_counts() WITH ORDINALITY AS c(id, name, slug, post_count, ord)
ORDER BY ord};

1;
