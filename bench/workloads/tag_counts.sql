SELECT * FROM @S@.tag_counts();
