-- each client tags random posts with five tags of its own
\set pid random(1, :nposts)
\set t :dbase + :client_id * 5
SELECT count(*) FROM @S@.post_set_tags(:pid, ARRAY['tag ' || :t, 'tag ' || (:t + 1), 'tag ' || (:t + 2), 'tag ' || (:t + 3), 'tag ' || (:t + 4)]);
