-- each client tags random items with five tags of its own
\set pid random(1, :nposts)
\set t :dbase + :client_id * 5
SELECT count(*) FROM ext.item_set_tags('app.articles', :pid, ARRAY['tag ' || :t, 'tag ' || (:t + 1), 'tag ' || (:t + 2), 'tag ' || (:t + 3), 'tag ' || (:t + 4)]);
