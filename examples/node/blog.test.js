// The app flow of blog.js against a real server: run by
// scripts/run-examples.sh (in make test) as `node --test`, in the cluster
// that libpq's environment names (pg reads PGHOST, PGPORT, PGUSER,
// PGPASSWORD and PGDATABASE too).  It creates the database
// tags_example_node with the extension, and drops it at the end.  Each test
// runs in a transaction that it rolls back.
'use strict';

const assert = require('node:assert/strict');
const { after, afterEach, before, beforeEach, test } = require('node:test');
const { Client } = require('pg');
const blog = require('./blog');

const DATABASE = 'tags_example_node';
let db;

async function onServer(sql) {
  const server = new Client();
  await server.connect();
  try {
    await server.query(sql);
  } finally {
    await server.end();
  }
}

before(async () => {
  await onServer(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await onServer(`CREATE DATABASE ${DATABASE} TEMPLATE template0
                  ENCODING 'UTF8' LOCALE 'C.UTF-8'`);
  db = new Client({ database: DATABASE });
  await db.connect();
  await db.query('CREATE EXTENSION tags');
});

after(async () => {
  await db.end();
  await onServer(`DROP DATABASE ${DATABASE} WITH (FORCE)`);
});

beforeEach(() => db.query('BEGIN'));
afterEach(() => db.query('ROLLBACK'));

const names = (tags) => tags.map((tag) => tag.name);

// A fixed created_at, so that the order of a tag's page is known.
const at = (minute) => new Date(Date.UTC(2026, 0, 1, 12, minute));

// The error a call rejects with; a savepoint undoes the call, and the
// transaction goes on.
async function failure(call) {
  await db.query('SAVEPOINT call');
  try {
    await call();
  } catch (err) {
    await db.query('ROLLBACK TO SAVEPOINT call');
    return err;
  }
  assert.fail('the call succeeded');
}

test('post_set_tags normalizes the names and keeps their order', async () => {
  const post = await blog.createPost(db, {
    title: 'Hello, world',
    tags: ['Python', ' PostgreSQL', 'python', '', 'C++'],
  });
  assert.deepEqual(names(post.tags), ['python', 'postgresql', 'c++']);
  assert.deepEqual(post.tags.map((tag) => tag.slug),
    ['python', 'postgresql', 'c-plus-plus']);
  const tags = await blog.setTags(db, post.id,
    ['Rust', 'python', 'POSTGRESQL']);
  assert.deepEqual(names(tags), ['rust', 'python', 'postgresql']);
  assert.deepEqual(names(await blog.getTags(db, post.id)),
    ['rust', 'python', 'postgresql']);
  // c++ is off the post, and still a tag
  const { rowCount } = await db.query("SELECT FROM tags WHERE name = 'c++'");
  assert.equal(rowCount, 1);
});

test('spellings of a name are one tag; an accent makes another', async () => {
  const first = await blog.createPost(db, {
    title: 'First', tags: ['Python', 'cafe'],
  });
  const second = await blog.createPost(db, {
    title: 'Second', tags: [' python ', 'ＰＹＴＨＯＮ', 'Café'],
  });
  assert.equal(second.tags[0].id, first.tags[0].id);
  assert.deepEqual(second.tags.map((tag) => [tag.name, tag.slug]),
    [['python', 'python'], ['café', 'cafe-2']]);
  const { rows } = await db.query('SELECT name FROM tags ORDER BY name');
  assert.deepEqual(names(rows), ['cafe', 'café', 'python']);
});

test('tag_counts counts published, not deleted posts exactly', async () => {
  await blog.createPost(db, {
    title: 'Hello', tags: ['python', 'postgresql'],
  });
  const draft = await blog.createPost(db, {
    title: 'Draft', status: 'draft', tags: ['python'],
  });
  await blog.createPost(db, { title: 'Second', tags: ['Python', 'Rust'] });
  const gone = await blog.createPost(db, { title: 'Gone', tags: ['rust'] });
  await db.query('UPDATE posts SET deleted_at = now() WHERE id = $1',
    [gone.id]);
  assert.deepEqual(
    (await blog.tagCounts(db)).map((row) => [row.name, row.post_count]),
    [['python', 2], ['postgresql', 1], ['rust', 1]]);
  // publishing the draft counts its tags
  await blog.updatePost(db, draft.id, { status: 'published' });
  const [top] = await blog.tagCounts(db);
  assert.deepEqual([top.name, top.post_count], ['python', 3]);
});

test('posts_by_tag pages newest first', async () => {
  for (let minute = 1; minute <= 5; minute++) {
    await blog.createPost(db, {
      title: `Post ${minute}`, createdAt: at(minute), tags: ['paging'],
    });
  }
  await blog.createPost(db, {
    title: 'Draft', status: 'draft', createdAt: at(9), tags: ['paging'],
  });
  const pages = [];
  for (const page of [1, 2, 3, 4]) {
    const { total, posts } = await blog.postsByTag(db, 'paging', page, 2);
    assert.equal(total, 5);
    pages.push(posts.map((post) => post.title));
  }
  assert.deepEqual(pages,
    [['Post 5', 'Post 4'], ['Post 3', 'Post 2'], ['Post 1'], []]);
  const { posts: [newest] } = await blog.postsByTag(db, 'paging');
  assert.deepEqual(newest.created_at, at(5));
});

test('PATCH without tags leaves them alone', async () => {
  const post = await blog.createPost(db, {
    title: 'Draft title', tags: ['python', 'postgresql'],
  });
  // PATCH {"title": ...}: no "tags" key, so post_set_tags(id, NULL)
  const patched = await blog.updatePost(db, post.id, { title: 'Final title' });
  assert.equal(patched.title, 'Final title');
  assert.deepEqual(names(patched.tags), ['python', 'postgresql']);
  assert.deepEqual(names(await blog.getTags(db, post.id)),
    ['python', 'postgresql']);
  // PATCH {"tags": [...]} replaces them
  const replaced = await blog.updatePost(db, post.id, {
    tags: ['Postgresql', 'SQL'],
  });
  assert.deepEqual(names(replaced.tags), ['postgresql', 'sql']);
  // PATCH {"tags": []} removes them all; the tags stay
  const emptied = await blog.updatePost(db, post.id, { tags: [] });
  assert.deepEqual(emptied.tags, []);
  const { rows } = await db.query('SELECT name FROM tags ORDER BY name');
  assert.deepEqual(names(rows), ['postgresql', 'python', 'sql']);
});

test('errors carry their SQLSTATE in err.code', async () => {
  const missing = await failure(
    () => blog.setTags(db, 2147483647, ['python']));
  assert.equal(missing.code, 'P0002');
  assert.equal(missing.message, 'post 2147483647 does not exist');
  const code = async (call) => (await failure(call)).code;
  assert.equal(await code(() => blog.postsByTag(db, 'no-such-tag')), 'P0002');
  assert.equal(await code(() => blog.postsByTag(db, 'python', 0)), '22023');
  assert.equal(await code(() => blog.postsByTag(db, 'python', 1, 101)),
    '22023');
  const post = await blog.createPost(db, { title: 'Hello', tags: ['python'] });
  assert.equal(await code(() => blog.setTags(db, post.id, ['x'.repeat(101)])),
    '22001');
  // the failed call left the post as it was
  assert.deepEqual(names(await blog.getTags(db, post.id)), ['python']);
});
