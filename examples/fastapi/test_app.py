"""The endpoints of app.py against a real server, through FastAPI's
TestClient: run by scripts/run-examples.sh (in make test) as `python3 -m
unittest`, in the cluster that libpq's environment names.  It creates the
database tags_example_fastapi with the extension in the schema tags and the
application's posts in public, and drops it at the end.  The requests
commit, so each test starts from empty tables."""

import unittest

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

import app

DATABASE = "tags_example_fastapi"
engine = None
client = TestClient(app.app)


def setUpModule():
    global engine
    server = app.connect().execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE} TEMPLATE template0 "
                          "ENCODING 'UTF8' LOCALE 'C.UTF-8'"))
    server.dispose()
    engine = app.connect(DATABASE)
    app.create_tables(engine)

    def get_session():
        with Session(engine, future=True) as session:
            yield session
    app.app.dependency_overrides[app.get_session] = get_session


def tearDownModule():
    app.app.dependency_overrides.clear()
    engine.dispose()
    server = app.connect().execution_options(isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f"DROP DATABASE {DATABASE} WITH (FORCE)"))
    server.dispose()


class AppTest(unittest.TestCase):

    def setUp(self):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE public.posts, tags.tags CASCADE"))

    def create(self, title, tags=(), published=True, **fields):
        """POST /posts; the post as the response gives it."""
        response = client.post("/posts", json={
            "slug": title.lower().replace(" ", "-"), "title": title,
            "author": "ada", "published": published, "tags": list(tags),
            **fields})
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    def names(self, post):
        return [tag["name"] for tag in post["tags"]]

    def counts(self):
        """GET /tags as (name, post_count) pairs."""
        response = client.get("/tags")
        self.assertEqual(response.status_code, 200)
        return [(tag["name"], tag["post_count"]) for tag in response.json()]

    def test_create_post_with_tags(self):
        post = self.create("Hello world", ["Python", " PostgreSQL", "python",
                                           "C++"], body="First.")
        # the names normalized, duplicates dropped, in the order given
        self.assertEqual(self.names(post), ["python", "postgresql", "c++"])
        self.assertEqual([tag["slug"] for tag in post["tags"]],
                         ["python", "postgresql", "c-plus-plus"])
        self.assertEqual((post["slug"], post["author"], post["body"]),
                         ("hello-world", "ada", "First."))
        # read back through the ORM's relationship, in the same order
        again = client.get(f"/posts/{post['id']}").json()
        self.assertEqual(again["tags"], post["tags"])
        # the tags are the extension's: the same name is the same tag
        other = self.create("Second", ["PYTHON"])
        self.assertEqual(other["tags"][0]["id"], post["tags"][0]["id"])

    def test_the_posts_are_the_applications(self):
        post = self.create("Hello", ["python"])
        with engine.connect() as conn:
            # public.posts has the post, and posts_tags its tag
            self.assertEqual(conn.execute(text(
                "SELECT p.author, t.name FROM public.posts p"
                " JOIN public.posts_tags pt ON pt.item_id = p.id"
                " JOIN tags.tags t ON t.id = pt.tag_id")).all(),
                [("ada", "python")])
            # the extension's built-in posts and post_tags stay empty
            self.assertEqual(conn.execute(text(
                "SELECT (SELECT count(*) FROM tags.posts),"
                " (SELECT count(*) FROM tags.post_tags)")).one(), (0, 0))
        self.assertEqual(post["tags"][0]["name"], "python")

    def test_counts_leave_out_drafts_and_deleted_posts(self):
        self.create("Hello", ["python", "postgresql"])
        draft = self.create("Draft", ["python"], published=False)
        self.create("Second", ["Python", "Rust"])
        gone = self.create("Gone", ["rust"])
        self.assertEqual(client.delete(f"/posts/{gone['id']}").status_code,
                         204)
        self.assertEqual(self.counts(), [("python", 2), ("postgresql", 1),
                                         ("rust", 1)])
        # publishing the draft counts its tags
        response = client.patch(f"/posts/{draft['id']}",
                                json={"published": True})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python"])
        self.assertEqual(self.counts()[0], ("python", 3))
        # the deleted post is gone for the API too
        self.assertEqual(client.get(f"/posts/{gone['id']}").status_code, 404)

    def test_tag_pages_have_a_total(self):
        for n in range(1, 6):
            self.create(f"Post {n}", ["paging", "other"])
        self.create("Draft", ["paging"], published=False)
        pages = [client.get("/tags/paging/posts",
                            params={"page": page, "page_size": 2}).json()
                 for page in (1, 2, 3, 4)]
        self.assertEqual([[post["title"] for post in page["posts"]]
                          for page in pages],
                         [["Post 5", "Post 4"], ["Post 3", "Post 2"],
                          ["Post 1"], []])
        # the total counts the published posts, not the draft
        self.assertEqual({page["total"] for page in pages}, {5})
        first = pages[0]
        self.assertEqual((first["tag"]["name"], first["page"],
                          first["page_size"]), ("paging", 1, 2))
        # each post comes with its tags, in order
        self.assertEqual(self.names(first["posts"][0]), ["paging", "other"])
        # the defaults: page 1 of 10
        page = client.get("/tags/paging/posts").json()
        self.assertEqual((page["page"], page["page_size"], len(page["posts"])),
                         (1, 10, 5))

    def test_patch_without_tags_keeps_them(self):
        post = self.create("Draft title", ["python", "postgresql"])
        url = f"/posts/{post['id']}"
        response = client.patch(url, json={"title": "Final title"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["title"], "Final title")
        self.assertEqual(self.names(response.json()),
                         ["python", "postgresql"])
        # "tags": null is the same as leaving it out
        response = client.patch(url, json={"tags": None})
        self.assertEqual(self.names(response.json()),
                         ["python", "postgresql"])
        # a list replaces them, in its order
        response = client.patch(url, json={"tags": ["SQL", "Postgresql"]})
        self.assertEqual(self.names(response.json()), ["sql", "postgresql"])
        # [] removes them all; the tags themselves stay, with no posts
        response = client.patch(url, json={"tags": []})
        self.assertEqual(response.json()["tags"], [])
        self.assertEqual(client.get(url).json()["tags"], [])
        self.assertEqual(sorted(self.counts()),
                         [("postgresql", 0), ("python", 0), ("sql", 0)])
        self.assertEqual(client.get(url).json()["title"], "Final title")

    def test_remove_one_tag(self):
        post = self.create("Hello", ["python", "postgresql", "rust"])
        self.create("Other", ["python"])
        url = f"/posts/{post['id']}/tags/postgresql"
        response = client.delete(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python", "rust"])
        # the tag stays, on no post; python is still on both
        self.assertEqual(self.counts(), [("python", 2), ("rust", 1),
                                         ("postgresql", 0)])
        # removing it again changes nothing
        response = client.delete(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python", "rust"])

    def test_unknown_post_or_tag_is_404(self):
        post = self.create("Hello", ["python"])
        missing = post["id"] + 1000
        self.assertEqual(client.get(f"/posts/{missing}").status_code, 404)
        self.assertEqual(client.patch(f"/posts/{missing}",
                                      json={"tags": ["x"]}).status_code, 404)
        self.assertEqual(client.delete(f"/posts/{missing}").status_code, 404)
        self.assertEqual(client.delete(
            f"/posts/{missing}/tags/python").status_code, 404)
        self.assertEqual(client.delete(
            f"/posts/{post['id']}/tags/no-such-tag").status_code, 404)
        response = client.get("/tags/no-such-tag/posts")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["detail"],
                         "tag 'no-such-tag' does not exist")
        # the 404s wrote nothing
        self.assertEqual(self.counts(), [("python", 1)])

    def test_invalid_requests_are_422(self):
        def status(method, url, **kwargs):
            return client.request(method, url, **kwargs).status_code

        post = self.create("Hello", ["python"])
        url = f"/posts/{post['id']}"
        # FastAPI's validation: a missing or empty field, a wrong type
        self.assertEqual(status("POST", "/posts", json={"title": "No slug",
                                                        "author": "ada"}),
                         422)
        self.assertEqual(status("POST", "/posts", json={
            "slug": "s", "title": "", "author": "ada"}), 422)
        self.assertEqual(status("POST", "/posts", json={
            "slug": "s", "title": "T", "author": "ada", "tags": "python"}),
            422)
        self.assertEqual(status("PATCH", url, json={"tags": [["nested"]]}),
                         422)
        self.assertEqual(status("PATCH", "/posts/abc", json={}), 422)
        for params in ({"page": 0}, {"page_size": 0}, {"page_size": 101},
                       {"page": "two"}):
            self.assertEqual(status("GET", "/tags/python/posts",
                                    params=params), 422, params)
        # the extension's: a tag name longer than 100 characters (22001)
        response = client.patch(url, json={"tags": ["python", "x" * 101]})
        self.assertEqual(response.status_code, 422)
        self.assertIn("too long", response.json()["detail"])
        # the failed request changed nothing
        self.assertEqual(self.names(client.get(url).json()), ["python"])

    def test_duplicate_post_slug_is_409(self):
        self.create("Hello", ["python"])
        response = client.post("/posts", json={
            "slug": "hello", "title": "Hello again", "author": "bob",
            "tags": ["rust"]})
        self.assertEqual(response.status_code, 409)
        # nothing of the failed post stays, not even its new tag
        self.assertEqual(self.counts(), [("python", 1)])


if __name__ == "__main__":
    unittest.main()
