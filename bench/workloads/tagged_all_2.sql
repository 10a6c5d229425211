SELECT * FROM @S@.posts_tagged(ARRAY['tag 50', 'tag 51']);
