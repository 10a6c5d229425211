SELECT * FROM @S@.posts_by_tag('@POPULAR@');
