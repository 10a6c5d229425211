-- What a logical replication subscriber of the tenant target app.articles
-- must answer as its publisher does (t/009_logical.pl, and
-- citus/logical.sh on a distributed copy of it): counts of the list and of
-- the context, a page, an item's tags and a search, in tenants 1 and 2
SELECT string_agg(format('%s %s %s %s', a, c.id, c.slug, c.item_count), ';' ORDER BY a, c.id)
FROM generate_series(1, 2) AS a,
     LATERAL tag_item_counts('app.articles', tenant => a) AS c;
SELECT string_agg(format('%s %s', a, c.id), ';' ORDER BY a, c.item_count DESC, c.id)
FROM generate_series(1, 2) AS a,
     LATERAL tag_item_counts('app.articles', 5, tenant => a, context => 'skills') AS c;
SELECT string_agg(format('%s %s %s', a, x.id, x.published_at), ';')
FROM generate_series(1, 2) AS a,
     LATERAL items_by_tag(NULL::app.articles, 'tag-1', 1, 100, tenant => a) AS x;
SELECT string_agg(format('%s %s', a, t.slug), ';' ORDER BY a, t.slug)
FROM generate_series(1, 2) AS a,
     LATERAL item_get_tags('app.articles', 2, tenant => a) AS t;
SELECT string_agg(format('%s %s', a, t.slug), ';' ORDER BY a, t.slug)
FROM generate_series(1, 2) AS a,
     LATERAL tags_search('ren', target => 'app.articles', tenant => a) AS t;
