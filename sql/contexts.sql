-- Contexts (1.3): a target's rows may have several named tag lists
-- (skills, interests), each with its own associations, counts, pages and
-- related items; one tag may be in several lists of one item.  Contexts
-- are declared, so a misspelt one is an error, not a new list.

-- every test starts from empty tables
TRUNCATE posts, tags, post_tags, tag_synonyms, tag_slug_aliases RESTART IDENTITY;
-- (the errors' context is the statement text: keep it out)
\set SHOW_CONTEXT never

CREATE TABLE cx_people (
    id          bigint PRIMARY KEY,
    name        text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    joined      date NOT NULL
);
SELECT tags_enable('cx_people', 'active', 'joined',
                   contexts => ARRAY['skills', 'interests']);
-- each context has its association table and counters, like the target's
-- own list
SELECT target, context, association, counts, count_deltas
FROM tag_contexts ORDER BY context;
SELECT tags_add_context('cx_people', 'languages');
SELECT context FROM tag_contexts ORDER BY context;

INSERT INTO cx_people (id, name, joined) VALUES
    (1, 'Ada', '2020-01-01'), (2, 'Grace', '2021-01-01'),
    (3, 'Linus', '2022-01-01'), (4, 'Barbara', '2023-01-01');

-- the same tag in two lists of one item, and the own list apart
SELECT name FROM item_set_tags('cx_people', 1, ARRAY['Python', 'Math'], context => 'skills');
SELECT name FROM item_set_tags('cx_people', 1, ARRAY['Python', 'Chess'], context => 'interests');
SELECT name FROM item_set_tags('cx_people', 1, ARRAY['Mentor']);
SELECT name FROM item_set_tags('cx_people', 2, ARRAY['Python', 'COBOL'], context => 'skills');
SELECT name FROM item_set_tags('cx_people', 3, ARRAY['C'], context => 'skills');
SELECT name FROM item_add_tags('cx_people', 3, ARRAY['Chess'], context => 'interests');
SELECT name FROM item_set_tags('cx_people', 4, ARRAY['Python'], context => 'interests');
-- one tag: the lists share the vocabulary
SELECT count(*) AS python_tags FROM tags WHERE name = 'python';
-- each list reads its own
SELECT name FROM item_get_tags('cx_people', 1, context => 'skills');
SELECT name FROM item_get_tags('cx_people', 1, context => 'interests');
SELECT name FROM item_get_tags('cx_people', 1);
SELECT name FROM item_get_tags('cx_people', 1, context => 'languages');
-- counts per list
SELECT name, item_count FROM tag_item_counts('cx_people', context => 'skills') WHERE item_count > 0;
SELECT name, item_count FROM tag_item_counts('cx_people', context => 'interests') WHERE item_count > 0;
SELECT name, item_count FROM tag_item_counts('cx_people') WHERE item_count > 0;
SELECT name, item_count FROM tag_item_counts('cx_people', 1, context => 'interests');
SELECT tag_item_count('cx_people', 'python', context => 'skills') AS skills,
       tag_item_count('cx_people', 'python', context => 'interests') AS interests,
       tag_item_count('cx_people', 'python') AS own;
-- pages, tagged, related, search and related tags, per list
SELECT id FROM items_by_tag(NULL::cx_people, 'python', context => 'skills');
SELECT id FROM items_by_tag(NULL::cx_people, 'python', context => 'interests');
SELECT id FROM items_by_tag_after(NULL::cx_people, 'python',
                                  (SELECT p FROM cx_people p WHERE id = 2), context => 'skills');
SELECT id FROM items_tagged(NULL::cx_people, ARRAY['python', 'chess'], context => 'interests');
SELECT id FROM items_tagged(NULL::cx_people, ARRAY['python', 'chess'], 'any', context => 'interests');
SELECT (r.item).id, r.shared_tags
FROM items_related((SELECT p FROM cx_people p WHERE id = 1), context => 'skills') r;
SELECT (r.item).id, r.shared_tags
FROM items_related((SELECT p FROM cx_people p WHERE id = 1), context => 'interests') r;
SELECT name FROM tags_search('c', target => 'cx_people', context => 'skills');
SELECT name FROM tags_search('c', target => 'cx_people', context => 'interests');
SELECT name, shared_posts FROM tags_related('python', target => 'cx_people', context => 'skills');
-- a list's writer touches no other list
SELECT name FROM item_remove_tags('cx_people', 1, ARRAY['python'], context => 'skills');
SELECT name FROM item_get_tags('cx_people', 1, context => 'interests');

-- a change of an item shows in every list: a deactivated person is
-- counted and listed in none
UPDATE cx_people SET active = false WHERE id = 3;
SELECT tag_item_count('cx_people', 'c', context => 'skills') AS c_skills,
       tag_item_count('cx_people', 'chess', context => 'interests') AS chess_interests;
SELECT id FROM items_by_tag(NULL::cx_people, 'chess', context => 'interests');
UPDATE cx_people SET active = true WHERE id = 3;
-- a deleted item leaves no association in any list
DELETE FROM cx_people WHERE id = 4;
SELECT (SELECT count(*) FROM cx_people_interests_tags WHERE item_id = 4) +
       (SELECT count(*) FROM cx_people_skills_tags WHERE item_id = 4) AS left_behind;

-- tag care spans the lists: a merge moves every list's associations, and
-- prune keeps a tag that is only in a context
SELECT tag_merge('chess', 'math') AS moved;
SELECT name FROM item_get_tags('cx_people', 1, context => 'interests');
SELECT name FROM item_get_tags('cx_people', 3, context => 'interests');
SELECT name FROM tags_get_or_create(ARRAY['Only here']);
SELECT name FROM item_set_tags('cx_people', 2, ARRAY['Fortran'], context => 'languages');
SELECT tags_prune() AS pruned;
SELECT name FROM tags ORDER BY name;

-- the counts of every list equal a live count from its associations, and
-- stay so through tags_rebuild()
CREATE FUNCTION pg_temp.wrong_counts() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (
        SELECT l.context, c.name, c.item_count,
               (SELECT count(*) FROM cx_people p
                WHERE p.active AND EXISTS (
                    SELECT FROM cx_people_tags a WHERE l.context IS NULL AND a.item_id = p.id AND a.tag_id = c.id
                    UNION ALL
                    SELECT FROM cx_people_skills_tags a WHERE l.context = 'skills' AND a.item_id = p.id AND a.tag_id = c.id
                    UNION ALL
                    SELECT FROM cx_people_interests_tags a WHERE l.context = 'interests' AND a.item_id = p.id AND a.tag_id = c.id
                    UNION ALL
                    SELECT FROM cx_people_languages_tags a WHERE l.context = 'languages' AND a.item_id = p.id AND a.tag_id = c.id)) AS live
        FROM (VALUES (NULL), ('skills'), ('interests'), ('languages')) AS l(context),
             LATERAL tag_item_counts('cx_people', context => l.context) c) x
    WHERE item_count <> live
$$;
SELECT pg_temp.wrong_counts();
SELECT tags_fold_counts() > 0 AS folded;
UPDATE cx_people_skills_tag_counts SET item_count = item_count + 7;
SELECT pg_temp.wrong_counts() > 0 AS broken;
SELECT tags_rebuild();
SELECT pg_temp.wrong_counts();

-- refused: a context the target does not have (22023), a name that is not
-- one (22023), one it has (42710), a NULL one (22004); posts has none
-- (0A000)
SELECT * FROM item_get_tags('cx_people', 1, context => 'skils');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_set_tags('cx_people', 1, ARRAY['x'], context => 'Skills');
\echo :LAST_ERROR_SQLSTATE
SELECT tags_add_context('cx_people', 'Bad Name');
\echo :LAST_ERROR_SQLSTATE
SELECT tags_add_context('cx_people', 'skills');
\echo :LAST_ERROR_SQLSTATE
SELECT tags_add_context('cx_people', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT tags_add_context('posts', 'extra');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM item_get_tags('posts', 1, context => 'skills');
\echo :LAST_ERROR_SQLSTATE
CREATE TABLE cx_other (id bigint PRIMARY KEY);
SELECT tags_enable('cx_other', contexts => ARRAY['a', 'a']);
\echo :LAST_ERROR_SQLSTATE
SELECT tags_enable('cx_other', contexts => ARRAY['ok', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT tags_enable('cx_other', contexts => ARRAY[repeat('c', 50)]);
\echo :LAST_ERROR_SQLSTATE
-- nothing of the refused calls was made
SELECT count(*) AS made FROM pg_class WHERE relname LIKE 'cx\_other\_%tag%';
SELECT count(*) AS written FROM tags WHERE name = 'x';

-- on a tenant target, each context is per tenant too
CREATE TABLE cx_jobs (org bigint NOT NULL, id bigint NOT NULL, PRIMARY KEY (org, id));
SELECT tags_enable('cx_jobs', tenant_column => 'org', contexts => ARRAY['required']);
INSERT INTO cx_jobs VALUES (1, 1), (2, 1);
SELECT name FROM item_set_tags('cx_jobs', 1, ARRAY['SQL'], tenant => 1, context => 'required');
SELECT name FROM item_set_tags('cx_jobs', 1, ARRAY['SQL', 'C'], tenant => 2, context => 'required');
SELECT name, item_count FROM tag_item_counts('cx_jobs', tenant => 1, context => 'required');
SELECT name, item_count FROM tag_item_counts('cx_jobs', tenant => 2, context => 'required');
SELECT name FROM item_get_tags('cx_jobs', 1, tenant => 2, context => 'required');
SELECT name FROM item_get_tags('cx_jobs', 1, tenant => 2);

-- dropping a context's association table forgets the context and drops
-- its counters; disabling the target drops every context's tables
DROP TABLE cx_people_languages_tags;
SELECT context FROM tag_contexts WHERE target = 'cx_people'::regclass ORDER BY 1;
SELECT count(*) AS languages_tables FROM pg_class WHERE relname LIKE 'cx_people_languages%';
SELECT tags_disable('cx_people');
SELECT count(*) AS contexts FROM tag_contexts WHERE target = 'cx_people'::regclass;
SELECT relname FROM pg_class WHERE relname LIKE 'cx_people%' ORDER BY 1;
DROP TABLE cx_people, cx_other, cx_jobs CASCADE;
DROP TABLE tenant_tags, tenant_tag_synonyms, tenant_tag_slug_aliases;
