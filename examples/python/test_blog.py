"""The app flow of blog.py against a real server: run by
scripts/run-examples.sh (in make test) as `python3 -m unittest`, in the
cluster that libpq's environment names.  It creates the database
tags_example_python with the extension, and drops it at the end.  Each test
runs in a transaction that it rolls back."""

import datetime
import unittest

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import blog
from blog import Post, Tag

DATABASE = "tags_example_python"
engine = None


def setUpModule():
    global engine
    server = blog.connect().execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE} TEMPLATE template0 "
                          "ENCODING 'UTF8' LOCALE 'C.UTF-8'"))
    server.dispose()
    engine = blog.connect(DATABASE)
    with engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION tags"))


def tearDownModule():
    engine.dispose()
    server = blog.connect().execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
    server.dispose()


def at(minute):
    """A fixed created_at, so that the order of a tag's page is known."""
    return datetime.datetime(2026, 1, 1, 12, minute,
                             tzinfo=datetime.timezone.utc)


class BlogTest(unittest.TestCase):

    def setUp(self):
        self.session = Session(engine, future=True)

    def tearDown(self):
        self.session.rollback()
        self.session.close()

    def names(self, post):
        """The post's tags as the ORM reads them through post_tags."""
        return [tag.name for tag in post.tags]

    def sqlstate(self, call):
        """The SQLSTATE of the error that call raises, from psycopg2's
        exception; the transaction goes on (a savepoint undoes the call)."""
        with self.assertRaises(DBAPIError) as caught:
            with self.session.begin_nested():
                call()
        return caught.exception.orig.pgcode

    def test_set_tags_normalizes_and_keeps_order(self):
        post = blog.create_post(self.session, "Hello, world",
                                ["Python", " PostgreSQL", "python", "", "C++"])
        # the relationship through the secondary post_tags, in given order
        self.assertEqual(self.names(post), ["python", "postgresql", "c++"])
        self.assertEqual([tag.slug for tag in post.tags],
                         ["python", "postgresql", "c-plus-plus"])
        self.assertTrue(all(isinstance(tag, Tag) for tag in post.tags))
        # the function returns the same tags, in the same order
        returned = blog.set_tags(self.session, post,
                                 ["Rust", "python", "POSTGRESQL"])
        self.assertEqual([tag.name for tag in returned],
                         ["rust", "python", "postgresql"])
        self.assertEqual(self.names(post), ["rust", "python", "postgresql"])
        # c++ is off the post, and still a tag
        self.assertIsNotNone(self.session.execute(
            select(Tag).where(Tag.name == "c++")).scalar_one_or_none())

    def test_spellings_of_a_name_are_one_tag(self):
        first = blog.create_post(self.session, "First", ["Python", "cafe"])
        second = blog.create_post(self.session, "Second",
                                  [" python ", "ＰＹＴＨＯＮ", "Café"])
        third = blog.create_post(self.session, "Third", ["CAFÉ", "PYTHON"])
        python = first.tags[0]
        self.assertEqual(python.name, "python")
        self.assertEqual([tag.id for tag in second.tags][0], python.id)
        self.assertEqual(len(second.tags), 2)
        # an accent makes another tag, with the next free slug
        self.assertEqual([(tag.name, tag.slug) for tag in second.tags],
                         [("python", "python"), ("café", "cafe-2")])
        self.assertEqual([tag.id for tag in third.tags],
                         [second.tags[1].id, python.id])
        self.assertEqual(self.session.execute(
            select(Tag.name).order_by(Tag.name)).scalars().all(),
            ["cafe", "café", "python"])

    def test_tag_counts_are_exact(self):
        blog.create_post(self.session, "Hello", ["python", "postgresql"])
        draft = blog.create_post(self.session, "Draft", ["python"],
                                 status="draft")
        blog.create_post(self.session, "Second", ["Python", "Rust"])
        gone = blog.create_post(self.session, "Gone", ["rust"])
        gone.deleted_at = at(0)
        blog.get_or_create_tags(self.session, ["Unused"])
        self.assertEqual(
            [(row.name, row.post_count) for row in
             blog.tag_counts(self.session)],
            [("python", 2), ("postgresql", 1), ("rust", 1), ("unused", 0)])
        # publishing the draft through the ORM counts its tags
        draft.status = "published"
        self.session.flush()
        top = blog.tag_counts(self.session)[0]
        self.assertEqual((top.name, top.post_count), ("python", 3))
        self.assertEqual(blog.tag_post_count(self.session, "python"), 3)
        self.assertEqual(blog.tag_post_count(self.session, "rust"), 1)

    def test_posts_by_tag_pages(self):
        for minute in range(1, 6):
            blog.create_post(self.session, f"Post {minute}", ["paging"],
                             created_at=at(minute))
        blog.create_post(self.session, "Draft", ["paging"], status="draft",
                         created_at=at(9))
        blog.create_post(self.session, "Other", ["elsewhere"],
                         created_at=at(8))
        pages = [[post.title for post in
                  blog.posts_by_tag(self.session, "paging", page, 2)]
                 for page in (1, 2, 3, 4)]
        self.assertEqual(pages, [["Post 5", "Post 4"], ["Post 3", "Post 2"],
                                 ["Post 1"], []])
        self.assertEqual(blog.tag_post_count(self.session, "paging"), 5)
        post = blog.posts_by_tag(self.session, "paging")[0]
        self.assertIsInstance(post, Post)
        self.assertEqual(self.names(post), ["paging"])

    def test_patch_without_tags_leaves_them_alone(self):
        post = blog.create_post(self.session, "Draft title",
                                ["python", "postgresql"])
        # PATCH {"title": ...}: no "tags" key, so post_set_tags(id, NULL)
        blog.update_post(self.session, post, {"title": "Final title"})
        self.assertEqual(post.title, "Final title")
        self.assertEqual(self.names(post), ["python", "postgresql"])
        self.session.expire_all()
        self.assertEqual(self.session.get(Post, post.id).title, "Final title")
        self.assertEqual(self.names(post), ["python", "postgresql"])
        # PATCH {"tags": [...]} replaces them
        blog.update_post(self.session, post, {"tags": ["Postgresql", "SQL"]})
        self.assertEqual(self.names(post), ["postgresql", "sql"])
        # PATCH {"tags": []} removes them all; the tags stay
        blog.update_post(self.session, post, {"tags": []})
        self.assertEqual(self.names(post), [])
        self.assertEqual(self.session.execute(
            select(Tag.name).order_by(Tag.name)).scalars().all(),
            ["postgresql", "python", "sql"])

    def test_orm_append_goes_last(self):
        post = blog.create_post(self.session, "Hello", ["python", "rust"])
        sql = blog.create_post(self.session, "Other", ["sql"]).tags[0]
        # a plain two-column insert by the ORM: no position, sorts last
        post.tags.insert(0, sql)
        self.session.flush()
        self.session.expire(post, ["tags"])
        self.assertEqual(self.names(post), ["python", "rust", "sql"])
        self.assertEqual(blog.tag_post_count(self.session, "sql"), 2)

    def test_errors_carry_their_sqlstate(self):
        # another request deleted the post meanwhile
        gone = blog.create_post(self.session, "Gone", ["python"])
        self.session.execute(text("DELETE FROM posts WHERE id = :id"),
                             {"id": gone.id})
        self.assertEqual(self.sqlstate(
            lambda: blog.set_tags(self.session, gone, ["python"])), "P0002")
        self.assertEqual(self.sqlstate(
            lambda: blog.posts_by_tag(self.session, "no-such-tag")), "P0002")
        self.assertEqual(self.sqlstate(
            lambda: blog.posts_by_tag(self.session, "python", 0)), "22023")
        self.assertEqual(self.sqlstate(
            lambda: blog.posts_by_tag(self.session, "python", 1, 101)),
            "22023")
        post = blog.create_post(self.session, "Hello", ["python"])
        self.assertEqual(self.sqlstate(
            lambda: blog.set_tags(self.session, post, ["x" * 101])), "22001")
        # the failed call left the post as it was
        self.assertEqual(self.names(post), ["python"])


if __name__ == "__main__":
    unittest.main()
