-- the same page, after the post before it (keyset)
SELECT * FROM ext.posts_by_tag_after('@POPULAR@', '@DEEP_AT@', @DEEP_ID@);
