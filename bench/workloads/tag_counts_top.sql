-- a tag cloud: the ten most used tags (the reference has only the full
-- GROUP BY, cut to ten)
SELECT * FROM @S@.tag_counts_top10();
