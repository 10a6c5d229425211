-- the popular tag's count (no reference: timed on ext and its target twin)
SELECT ext.tag_post_count('@POPULAR@');
