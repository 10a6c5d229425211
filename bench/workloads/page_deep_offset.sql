-- the popular tag's page at depth @DEEP@ posts, by page number
SELECT * FROM @S@.posts_by_tag('@POPULAR@', @DEEP@ / 10 + 1);
