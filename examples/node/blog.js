// A blog's tagging on the tags extension, from node-postgres (pg).
//
// Every function takes a connected pg.Client (or a pool) and calls the
// extension's functions with $n parameters: a JavaScript array goes as a
// text[], null as NULL.  pg returns bigint as a string, so the counts are
// turned into numbers here.  An error from the server is rejected with its
// SQLSTATE in err.code.
'use strict';

// Make the post's tags exactly these names, in this order; null leaves them
// as they are, [] removes them all.  Resolves to the post's tags.
async function setTags(db, postId, names) {
  const { rows } = await db.query(
    'SELECT id, name, slug FROM post_set_tags($1, $2)', [postId, names]);
  return rows;
}

// The post's tags, in order.
async function getTags(db, postId) {
  const { rows } = await db.query(
    'SELECT id, name, slug FROM post_get_tags($1)', [postId]);
  return rows;
}

// POST /posts: a post and its tags.
async function createPost(db, { title, status = 'published', createdAt = null,
  tags = null }) {
  const { rows: [post] } = await db.query(
    `INSERT INTO posts (title, status, created_at)
     VALUES ($1, $2, coalesce($3, now()))
     RETURNING id, title, status`, [title, status, createdAt]);
  post.tags = await setTags(db, post.id, tags);
  return post;
}

// PATCH /posts/:id: change what the body of the request gives.  A body
// without "tags" passes null, which post_set_tags takes as "not provided":
// the tags stay.  "tags": [] removes them all.
async function updatePost(db, id, patch) {
  const { rows: [post] } = await db.query(
    `UPDATE posts
     SET title = coalesce($2, title), status = coalesce($3, status)
     WHERE id = $1
     RETURNING id, title, status`,
    [id, patch.title ?? null, patch.status ?? null]);
  const tags = await setTags(db, id, patch.tags ?? null);
  return post && { ...post, tags };
}

// GET /tags: every tag with the number of its published posts, most used
// first.
async function tagCounts(db) {
  const { rows } = await db.query(
    'SELECT name, slug, post_count FROM tag_counts()');
  return rows.map((row) => ({ ...row, post_count: Number(row.post_count) }));
}

// GET /tags/:slug/posts?page=: one page of the tag's published posts,
// newest first, and the total for paging.
async function postsByTag(db, slug, page = 1, pageSize = 10) {
  const { rows: posts } = await db.query(
    'SELECT id, title, created_at FROM posts_by_tag($1, $2, $3)',
    [slug, page, pageSize]);
  const { rows: [{ total }] } = await db.query(
    'SELECT tag_post_count($1) AS total', [slug]);
  return { total: Number(total), posts };
}

module.exports = {
  createPost, getTags, postsByTag, setTags, tagCounts, updatePost,
};
