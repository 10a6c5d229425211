"""The endpoints of app.py against a real server, through FastAPI's
TestClient: run by scripts/run-examples.sh (in make test) as `python3 -m
unittest`, in the cluster that libpq's environment names.  It creates the
database tags_example_fastapi with the extension in the schema tags and the
application's accounts and articles in public, and drops it at the end.
The requests commit, so each test starts from empty tables and two
accounts, acme and globex."""

import unittest

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
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
            conn.execute(text(
                "TRUNCATE public.accounts, public.tenant_tags CASCADE"))
        self.acme = self.account("acme")
        self.globex = self.account("globex")

    def account(self, name):
        """POST /accounts; the new account's id."""
        response = client.post("/accounts", json={"name": name})
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()["id"]

    def url(self, path, account=None):
        """The path under /accounts/{account}, acme's by default."""
        return f"/accounts/{account or self.acme}{path}"

    def create(self, title, topics=(), skills=(), published=True,
               account=None, **fields):
        """POST /accounts/{account}/articles; the article as the response
        gives it."""
        response = client.post(self.url("/articles", account), json={
            "slug": title.lower().replace(" ", "-"), "title": title,
            "author": "ada", "published": published,
            "topics": list(topics), "skills": list(skills), **fields})
        self.assertEqual(response.status_code, 201, response.text)
        return response.json()

    def names(self, article, context="topics"):
        return [tag["name"] for tag in article[context]]

    def counts(self, context="topics", account=None):
        """GET /accounts/{account}/{context} as (name, article_count)
        pairs."""
        response = client.get(self.url(f"/{context}", account))
        self.assertEqual(response.status_code, 200, response.text)
        return [(tag["name"], tag["article_count"])
                for tag in response.json()]

    def search(self, q, context="topics", account=None):
        """GET /accounts/{account}/{context}/search?q=... as names."""
        response = client.get(self.url(f"/{context}/search", account),
                              params={"q": q})
        self.assertEqual(response.status_code, 200, response.text)
        return [tag["name"] for tag in response.json()]

    def page(self, slug, context="topics", account=None, **params):
        """GET /accounts/{account}/{context}/{slug}/articles as the titles
        and the total."""
        response = client.get(
            self.url(f"/{context}/{slug}/articles", account), params=params)
        self.assertEqual(response.status_code, 200, response.text)
        page = response.json()
        return [article["title"] for article in page["articles"]], \
            page["total"]

    def test_create_article_with_tags(self):
        article = self.create("Hello world",
                              topics=["Python", " PostgreSQL", "python",
                                      "C++"],
                              skills=["SQL"], body="First.")
        # the names normalized, duplicates dropped, in the order given
        self.assertEqual(self.names(article), ["python", "postgresql", "c++"])
        self.assertEqual([tag["slug"] for tag in article["topics"]],
                         ["python", "postgresql", "c-plus-plus"])
        self.assertEqual(self.names(article, "skills"), ["sql"])
        self.assertEqual((article["account_id"], article["slug"],
                          article["author"], article["body"]),
                         (self.acme, "hello-world", "ada", "First."))
        # read back through the ORM's relationships, in the same order
        again = client.get(self.url(f"/articles/{article['id']}")).json()
        self.assertEqual((again["topics"], again["skills"]),
                         (article["topics"], article["skills"]))
        # in one account, the same name is the same tag, in either list
        other = self.create("Second", topics=["SQL"], skills=["PYTHON"])
        self.assertEqual(other["topics"][0]["id"], article["skills"][0]["id"])
        self.assertEqual(other["skills"][0]["id"], article["topics"][0]["id"])

    def test_the_tables_are_the_applications(self):
        self.create("Hello", topics=["python"], skills=["sql"])
        with engine.connect() as conn:
            # each list has its association table, keyed by the account,
            # and the tags are the account's, in public.tenant_tags
            self.assertEqual(conn.execute(text(
                "SELECT a.account_id, 'topics', t.name"
                " FROM public.articles a"
                " JOIN public.articles_topics_tags l"
                "   ON (l.tenant, l.item_id) = (a.account_id, a.id)"
                " JOIN public.tenant_tags t"
                "   ON (t.tenant, t.id) = (l.tenant, l.tag_id)"
                " UNION ALL"
                " SELECT a.account_id, 'skills', t.name"
                " FROM public.articles a"
                " JOIN public.articles_skills_tags l"
                "   ON (l.tenant, l.item_id) = (a.account_id, a.id)"
                " JOIN public.tenant_tags t"
                "   ON (t.tenant, t.id) = (l.tenant, l.tag_id)")).all(),
                [(self.acme, "topics", "python"),
                 (self.acme, "skills", "sql")])
            # the shared tags, the built-in posts' tags and the articles'
            # own list (no context) stay empty
            self.assertEqual(conn.execute(text(
                "SELECT (SELECT count(*) FROM tags.tags),"
                " (SELECT count(*) FROM tags.post_tags),"
                " (SELECT count(*) FROM public.articles_tags)")).one(),
                (0, 0, 0))

    def test_each_account_has_its_own_tags(self):
        mine = self.create("Mine", topics=["Python", "PostgreSQL"])
        self.create("Also mine", topics=["python"])
        theirs = self.create("Theirs", topics=["PYTHON", "Rust"],
                             account=self.globex)
        # the same name is another tag in another account, with the same
        # slug
        self.assertNotEqual(mine["topics"][0]["id"], theirs["topics"][0]["id"])
        self.assertEqual((mine["topics"][0]["slug"],
                          theirs["topics"][0]["slug"]), ("python", "python"))
        # each account counts, searches and pages its own
        self.assertEqual(self.counts(), [("python", 2), ("postgresql", 1)])
        self.assertEqual(self.counts(account=self.globex),
                         [("python", 1), ("rust", 1)])
        self.assertEqual(self.search(" P"), ["python", "postgresql"])
        self.assertEqual(self.search(" P", account=self.globex), ["python"])
        self.assertEqual(self.search("r"), [])
        self.assertEqual(self.page("python"), (["Also mine", "Mine"], 2))
        self.assertEqual(self.page("python", account=self.globex),
                         (["Theirs"], 1))
        # another account's tag or article is not found
        self.assertEqual(client.get(self.url(
            "/topics/postgresql/articles", self.globex)).status_code, 404)
        theirs_url = f"/articles/{theirs['id']}"
        self.assertEqual(client.get(self.url(theirs_url)).status_code, 404)
        self.assertEqual(client.patch(self.url(theirs_url), json={
            "topics": ["mine now"]}).status_code, 404)
        self.assertEqual(client.delete(self.url(theirs_url)).status_code,
                         404)
        self.assertEqual(client.delete(self.url(
            theirs_url + "/topics/python")).status_code, 404)
        # and theirs is as it was
        self.assertEqual(self.names(client.get(self.url(
            theirs_url, self.globex)).json()), ["python", "rust"])
        self.assertEqual(self.counts(account=self.globex),
                         [("python", 1), ("rust", 1)])

    def test_topics_and_skills_are_separate_lists(self):
        intro = self.create("Intro", topics=["python"], skills=["pytest"])
        testing = self.create("Testing", topics=["python", "pytest"],
                              skills=["pytest", "python"])
        # one vocabulary: the same name is the same tag in both lists
        self.assertEqual(intro["topics"][0]["id"],
                         testing["skills"][1]["id"])
        # each list counts, ranks and pages its own
        self.assertEqual(self.counts("topics"),
                         [("python", 2), ("pytest", 1)])
        self.assertEqual(self.counts("skills"),
                         [("pytest", 2), ("python", 1)])
        self.assertEqual(self.search("py", "topics"), ["python", "pytest"])
        self.assertEqual(self.search("py", "skills"), ["pytest", "python"])
        self.assertEqual(self.page("pytest", "topics"), (["Testing"], 1))
        self.assertEqual(self.page("pytest", "skills"),
                         (["Testing", "Intro"], 2))
        # a change to one list leaves the other alone
        response = client.patch(self.url(f"/articles/{intro['id']}"),
                                json={"skills": []})
        self.assertEqual((self.names(response.json(), "topics"),
                          self.names(response.json(), "skills")),
                         (["python"], []))
        response = client.delete(self.url(
            f"/articles/{testing['id']}/skills/python"))
        self.assertEqual((self.names(response.json(), "topics"),
                          self.names(response.json(), "skills")),
                         (["python", "pytest"], ["pytest"]))
        self.assertEqual(self.counts("topics"),
                         [("python", 2), ("pytest", 1)])
        self.assertEqual(self.counts("skills"),
                         [("pytest", 1), ("python", 0)])

    def test_counts_leave_out_drafts_and_deleted_articles(self):
        self.create("Hello", ["python", "postgresql"])
        draft = self.create("Draft", ["python"], published=False)
        self.create("Second", ["Python", "Rust"])
        gone = self.create("Gone", ["rust"])
        self.assertEqual(client.delete(
            self.url(f"/articles/{gone['id']}")).status_code, 204)
        self.assertEqual(self.counts(), [("python", 2), ("postgresql", 1),
                                         ("rust", 1)])
        # publishing the draft counts its tags
        response = client.patch(self.url(f"/articles/{draft['id']}"),
                                json={"published": True})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python"])
        self.assertEqual(self.counts()[0], ("python", 3))
        # the deleted article is gone for the API too
        self.assertEqual(client.get(
            self.url(f"/articles/{gone['id']}")).status_code, 404)

    def test_tag_pages_have_a_total(self):
        for n in range(1, 6):
            self.create(f"Article {n}", ["paging", "other"])
        self.create("Draft", ["paging"], published=False)
        self.create("Elsewhere", ["paging"], account=self.globex)
        url = self.url("/topics/paging/articles")
        pages = [client.get(url, params={"page": page, "page_size": 2}).json()
                 for page in (1, 2, 3, 4)]
        self.assertEqual([[article["title"] for article in page["articles"]]
                          for page in pages],
                         [["Article 5", "Article 4"],
                          ["Article 3", "Article 2"], ["Article 1"], []])
        # the total counts the account's published articles: not the
        # draft, not globex's
        self.assertEqual({page["total"] for page in pages}, {5})
        first = pages[0]
        self.assertEqual((first["tag"]["name"], first["page"],
                          first["page_size"]), ("paging", 1, 2))
        # each article comes with its tags, in order
        self.assertEqual(self.names(first["articles"][0]),
                         ["paging", "other"])
        # the defaults: page 1 of 10
        page = client.get(url).json()
        self.assertEqual((page["page"], page["page_size"],
                          len(page["articles"])), (1, 10, 5))

    def test_patch_without_tags_keeps_them(self):
        article = self.create("Draft title", ["python", "postgresql"],
                              skills=["sql"])
        url = self.url(f"/articles/{article['id']}")
        response = client.patch(url, json={"title": "Final title"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["title"], "Final title")
        self.assertEqual(self.names(response.json()),
                         ["python", "postgresql"])
        # "topics": null is the same as leaving it out
        response = client.patch(url, json={"topics": None})
        self.assertEqual(self.names(response.json()),
                         ["python", "postgresql"])
        # a list replaces them, in its order
        response = client.patch(url, json={"topics": ["SQL", "Postgresql"]})
        self.assertEqual(self.names(response.json()), ["sql", "postgresql"])
        # [] removes them all; the tags themselves stay, with no articles
        response = client.patch(url, json={"topics": []})
        self.assertEqual(response.json()["topics"], [])
        self.assertEqual(client.get(url).json()["topics"], [])
        self.assertEqual(sorted(self.counts()),
                         [("postgresql", 0), ("python", 0), ("sql", 0)])
        # the skills were never mentioned: they stay
        self.assertEqual(self.names(client.get(url).json(), "skills"),
                         ["sql"])
        self.assertEqual(client.get(url).json()["title"], "Final title")

    def test_remove_one_tag(self):
        article = self.create("Hello", ["python", "postgresql", "rust"])
        self.create("Other", ["python"])
        url = self.url(f"/articles/{article['id']}/topics/postgresql")
        response = client.delete(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python", "rust"])
        # the tag stays, on no article; python is still on both
        self.assertEqual(self.counts(), [("python", 2), ("rust", 1),
                                         ("postgresql", 0)])
        # removing it again changes nothing
        response = client.delete(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.names(response.json()), ["python", "rust"])

    def test_unknown_article_or_tag_is_404(self):
        article = self.create("Hello", ["python"])
        missing = f"/articles/{article['id'] + 1000}"
        self.assertEqual(client.get(self.url(missing)).status_code, 404)
        self.assertEqual(client.patch(self.url(missing), json={
            "topics": ["x"]}).status_code, 404)
        self.assertEqual(client.delete(self.url(missing)).status_code, 404)
        self.assertEqual(client.delete(self.url(
            missing + "/topics/python")).status_code, 404)
        self.assertEqual(client.delete(self.url(
            f"/articles/{article['id']}/topics/no-such-tag")).status_code,
            404)
        response = client.get(self.url("/topics/no-such-tag/articles"))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["detail"],
                         "tag 'no-such-tag' does not exist")
        # the 404s wrote nothing
        self.assertEqual(self.counts(), [("python", 1)])

    def test_unknown_account_is_404(self):
        article = self.create("Hello", ["python"])
        missing = self.globex + 1000
        requests = [
            ("GET", "/topics", None),
            ("GET", "/skills/search?q=py", None),
            ("GET", "/topics/python/articles", None),
            ("POST", "/articles", {"slug": "s", "title": "T",
                                   "author": "ada", "topics": ["python"]}),
            ("GET", f"/articles/{article['id']}", None),
            ("PATCH", f"/articles/{article['id']}", {"topics": ["x"]}),
            ("DELETE", f"/articles/{article['id']}", None),
            ("DELETE", f"/articles/{article['id']}/topics/python", None),
        ]
        for method, path, body in requests:
            response = client.request(method, self.url(path, missing),
                                      json=body)
            self.assertEqual((response.status_code, response.json()),
                             (404, {"detail": f"account {missing} does not"
                                              " exist"}), (method, path))
        # the 404s wrote nothing, in no account
        with engine.connect() as conn:
            self.assertEqual(conn.execute(text(
                "SELECT (SELECT count(*) FROM public.articles),"
                " (SELECT count(*) FROM public.tenant_tags)")).one(), (1, 1))
        self.assertEqual(self.counts(), [("python", 1)])
        # an account that is not a number is FastAPI's 422
        self.assertEqual(client.get("/accounts/acme/topics").status_code, 422)
        # the extension never guesses the account: a call without one is
        # 22004 (not a client's error: the API always passes the path's)
        with Session(engine, future=True) as session:
            with self.assertRaises(DBAPIError) as caught:
                app.tag_counts(session, None, app.Context.topics)
            self.assertEqual(caught.exception.orig.pgcode, "22004")

    def test_invalid_requests_are_422(self):
        def status(method, url, **kwargs):
            return client.request(method, url, **kwargs).status_code

        article = self.create("Hello", ["python"])
        url = self.url(f"/articles/{article['id']}")
        # FastAPI's validation: a missing or empty field, a wrong type
        self.assertEqual(status("POST", self.url("/articles"), json={
            "title": "No slug", "author": "ada"}), 422)
        self.assertEqual(status("POST", self.url("/articles"), json={
            "slug": "s", "title": "", "author": "ada"}), 422)
        self.assertEqual(status("POST", self.url("/articles"), json={
            "slug": "s", "title": "T", "author": "ada", "skills": "python"}),
            422)
        self.assertEqual(status("PATCH", url, json={"topics": [["nested"]]}),
                         422)
        self.assertEqual(status("PATCH", self.url("/articles/abc"), json={}),
                         422)
        for params in ({"page": 0}, {"page_size": 0}, {"page_size": 101},
                       {"page": "two"}):
            self.assertEqual(status("GET", self.url("/topics/python/articles"),
                                    params=params), 422, params)
        # a list the articles do not have; a search without a prefix
        self.assertEqual(status("GET", self.url("/interests")), 422)
        self.assertEqual(status("DELETE", f"{url}/interests/python"), 422)
        self.assertEqual(status("GET", self.url("/topics/search")), 422)
        # the extension's: a tag name longer than 100 characters (22001)
        response = client.patch(url, json={"skills": ["python", "x" * 101]})
        self.assertEqual(response.status_code, 422)
        self.assertIn("too long", response.json()["detail"])
        # the failed request changed nothing
        self.assertEqual(self.names(client.get(url).json(), "skills"), [])

    def test_duplicate_slug_is_409(self):
        self.create("Hello", ["python"])
        response = client.post(self.url("/articles"), json={
            "slug": "hello", "title": "Hello again", "author": "bob",
            "topics": ["rust"]})
        self.assertEqual(response.status_code, 409)
        # nothing of the failed article stays, not even its new tag
        self.assertEqual(self.counts(), [("python", 1)])
        # the slug is the account's: globex may have it too
        self.create("Hello", ["rust"], account=self.globex)
        # an account's name is taken once
        self.assertEqual(client.post("/accounts", json={
            "name": "acme"}).status_code, 409)


if __name__ == "__main__":
    unittest.main()
