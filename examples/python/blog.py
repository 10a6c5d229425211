"""A blog's tagging on the tags extension, from SQLAlchemy.

The ORM maps the extension's three tables: `Post` and `Tag`, and `post_tags`
as the `secondary` of `Post.tags`, read in the order of its `position`.
What needs the extension's rules goes through its functions, called with
`func`: `post_set_tags` normalizes the names, creates the missing tags with
their slugs and keeps the order; `tag_counts` and `posts_by_tag` read the
counts and pages the extension keeps.  The functions see what the database
has, so each helper flushes the session's pending changes first; a function
that writes does it behind the ORM's back, so the post's `tags` are expired
after it and read again.

Written for SQLAlchemy 1.4 (Debian 12's python3-sqlalchemy), in the 2.0
style that 1.4 has (`future=True`, `select()`).  A list of names goes as a
text[]; None stays NULL.
"""

from sqlalchemy import (Column, DateTime, ForeignKey, Integer, String, Table,
                        Text, create_engine, func, literal, select)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, declarative_base, relationship

Base = declarative_base()

# The association table.  The extension fills position; post_visible and
# post_created_at, which its triggers keep, are left out: the ORM need not
# know them.
post_tags = Table(
    "post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"),
           primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"),
           primary_key=True),
    Column("position", Integer),
)


class Tag(Base):
    __tablename__ = "tags"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)
    slug = Column(String(100), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())

    def __repr__(self):
        return f"Tag({self.name!r}, slug={self.slug!r})"


class Post(Base):
    __tablename__ = "posts"

    id = Column(Integer, primary_key=True)
    title = Column(Text, nullable=False)
    body = Column(Text, nullable=False, server_default="")
    status = Column(Text, nullable=False, server_default="draft")
    created_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())
    deleted_at = Column(DateTime(timezone=True))

    # the post's tags in the order they were given, as post_get_tags reads
    # them: by position, rows without one last, then by tag id
    tags = relationship(
        Tag,
        secondary=post_tags,
        order_by=(post_tags.c.position.asc().nulls_last(), post_tags.c.tag_id),
    )

    def __repr__(self):
        return f"Post({self.id}, {self.title!r})"


def connect(database=None):
    """An engine for the server that libpq's environment names (PGHOST,
    PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or for another database on it."""
    engine = create_engine("postgresql+psycopg2://", future=True)
    if database is not None:
        engine = create_engine(engine.url.set(database=database), future=True)
    return engine


def get_or_create_tags(session, names):
    """The tags of these names, created when missing, in order."""
    array = literal(names, ARRAY(Text))
    tags = func.tags_get_or_create(array).table_valued(
        "id", "name", "slug", "created_at")
    return session.execute(
        select(aliased(Tag, tags, adapt_on_names=True))).scalars().all()


def set_tags(session, post, names):
    """Make the post's tags exactly these names, in this order; None leaves
    them as they are, [] removes them all.  Returns the post's tags."""
    session.flush()
    array = literal(names, ARRAY(Text))   # None stays NULL
    tags = func.post_set_tags(post.id, array).table_valued(
        "id", "name", "slug", "created_at")
    result = session.execute(
        select(aliased(Tag, tags, adapt_on_names=True))).scalars().all()
    session.expire(post, ["tags"])
    return result


def create_post(session, title, tags=None, status="published",
                created_at=None):
    """POST /posts: a post and its tags."""
    post = Post(title=title, status=status)
    if created_at is not None:
        post.created_at = created_at
    session.add(post)
    set_tags(session, post, tags)
    return post


def update_post(session, post, patch):
    """PATCH /posts/<id>: change what the body of the request gives.

    A request without "tags" passes None, which post_set_tags takes as "not
    provided": the tags stay.  "tags": [] removes them all."""
    for field in ("title", "body", "status"):
        if field in patch:
            setattr(post, field, patch[field])
    set_tags(session, post, patch.get("tags"))
    return post


def tag_counts(session):
    """GET /tags: every tag with the number of its published posts, most
    used first."""
    session.flush()
    counts = func.tag_counts().table_valued("name", "slug", "post_count")
    return session.execute(
        select(counts.c.name, counts.c.slug, counts.c.post_count)).all()


def posts_by_tag(session, slug, page=1, page_size=10):
    """GET /tags/<slug>/posts?page=: one page of the tag's published posts,
    newest first, as Post objects."""
    session.flush()
    posts = func.posts_by_tag(slug, page, page_size).table_valued(
        "id", "title", "body", "status", "created_at", "deleted_at")
    return session.execute(
        select(aliased(Post, posts, adapt_on_names=True))).scalars().all()


def tag_post_count(session, slug):
    """The number of the tag's published posts: the total for paging."""
    session.flush()
    return session.execute(select(func.tag_post_count(slug))).scalar_one()

