"""The tags lesson's blog API on FastAPI, tagging a posts table of its own.

The application owns `public.posts`, with the columns a blog wants: a slug,
an author, `published`, and `deleted_at` for soft deletes.  The extension
lives in the schema `tags` (`CREATE EXTENSION tags SCHEMA tags`), beside its
built-in `tags.posts`, which this application never uses.  Every name is
written with its schema (`public.posts`, `tags.item_set_tags`), so that
neither can be taken for the other, whatever the search path.
`tags.tags_enable` made `public.posts` taggable: it created the association
table `public.posts_tags` and the counters, and its triggers copy into
`posts_tags` whether a post is visible (`published AND deleted_at IS NULL`)
and its `created_at`, which tag pages sort by.

SQLAlchemy maps `Post`, and reads `tags.tags` and `posts_tags` for
`Post.tags`, in the order the tags were given.  Tags are written only
through the extension's functions: `item_set_tags` and `item_remove_tags`
normalize the names, create the missing tags with their slugs, keep the
order and the counts.  The counts and the tag pages come from
`tag_item_counts`, `tag_item_count` and `items_by_tag`.  A function sees
what the database has, so the session is flushed before one is called; one
that writes does it behind the ORM's back, so the post's `tags` are expired
after it and read again.

Written for Debian 12: SQLAlchemy 1.4 in the 2.0 style it has
(`future=True`, `select()`), FastAPI 0.92 with Pydantic 1.10.
"""

import datetime

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey,
                        Integer, Table, Text, cast, create_engine, false,
                        func, literal, literal_column, select, text)
from sqlalchemy.dialects.postgresql import ARRAY, REGCLASS
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (Session, aliased, declarative_base, relationship,
                            selectinload)

# The tagged table, and what tags_enable is told about it: which posts are
# counted and listed, and the column that tag pages sort by, newest first.
TARGET = "public.posts"
VISIBLE = "published AND deleted_at IS NULL"
SORT_COLUMN = "created_at"

Base = declarative_base()


class Tag(Base):
    """The extension's tags: read here, created by its functions."""

    __tablename__ = "tags"
    __table_args__ = {"schema": "tags"}

    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    slug = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


# The association table that tags_enable made.  The functions fill position;
# item_visible and item_sort, which the triggers copy from the post, are
# left out: the application need not know them.
posts_tags = Table(
    "posts_tags",
    Base.metadata,
    Column("item_id", ForeignKey("public.posts.id"), primary_key=True),
    Column("tag_id", ForeignKey("tags.tags.id"), primary_key=True),
    Column("position", Integer),
    schema="public",
)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = {"schema": "public"}   # never the extension's tags.posts

    id = Column(BigInteger, primary_key=True)
    slug = Column(Text, nullable=False, unique=True)
    title = Column(Text, nullable=False)
    body = Column(Text, nullable=False, server_default="")
    author = Column(Text, nullable=False)
    published = Column(Boolean, nullable=False, server_default=false())
    created_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())
    deleted_at = Column(DateTime(timezone=True))

    # the post's tags in the order they were given, as item_get_tags reads
    # them; read only, since the functions write them
    tags = relationship(
        Tag,
        secondary=posts_tags,
        order_by=(posts_tags.c.position.asc().nulls_last(),
                  posts_tags.c.tag_id),
        viewonly=True,
    )


def connect(database=None):
    """An engine for the server that libpq's environment names (PGHOST,
    PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or for another database on it."""
    engine = create_engine("postgresql+psycopg2://", future=True)
    if database is not None:
        engine = create_engine(engine.url.set(database=database), future=True)
    return engine


def create_tables(engine):
    """Install the extension in its own schema, create the application's
    posts, and make them taggable (which creates posts_tags)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA tags"))
        conn.execute(text("CREATE EXTENSION tags SCHEMA tags"))
        Post.__table__.create(conn)
        conn.execute(select(func.tags.tags_enable(
            cast(TARGET, REGCLASS), VISIBLE, SORT_COLUMN)))


engine = connect()


def get_session():
    with Session(engine, future=True) as session:
        yield session


#
# The extension's functions
#

def tag_rows(function):
    """The rows of a function that returns SETOF tags.tags, as Tag objects."""
    rows = function.table_valued("id", "name", "slug", "created_at")
    return aliased(Tag, rows, adapt_on_names=True)


def set_tags(session, post, names):
    """Make the post's tags exactly these names, in this order; None leaves
    them as they are, [] removes them all."""
    session.flush()
    array = literal(names, ARRAY(Text))   # None stays NULL
    session.execute(select(tag_rows(func.tags.item_set_tags(
        cast(TARGET, REGCLASS), post.id, array))))
    session.expire(post, ["tags"])


def remove_tag(session, post, tag):
    """Take the tag off the post; the tag itself stays."""
    session.flush()
    array = literal([tag.name], ARRAY(Text))
    session.execute(select(tag_rows(func.tags.item_remove_tags(
        cast(TARGET, REGCLASS), post.id, array))))
    session.expire(post, ["tags"])


def tag_counts(session):
    """Every tag with the number of its visible posts, most used first."""
    session.flush()
    counts = func.tags.tag_item_counts(cast(TARGET, REGCLASS)).table_valued(
        "id", "name", "slug", "item_count")
    return session.execute(select(counts)).all()


def tag_post_count(session, tag):
    """The number of the tag's visible posts: the total for paging."""
    session.flush()
    return session.execute(select(func.tags.tag_item_count(
        cast(TARGET, REGCLASS), tag.slug))).scalar_one()


def posts_by_tag(session, tag, page, page_size):
    """One page of the tag's visible posts, newest first, as Post objects
    with their tags loaded."""
    session.flush()
    rows = func.tags.items_by_tag(
        literal_column(f"NULL::{TARGET}"), tag.slug, page, page_size
    ).table_valued(*Post.__table__.columns.keys())
    posts = aliased(Post, rows, adapt_on_names=True)
    return session.execute(
        select(posts).options(selectinload(posts.tags))).scalars().all()


#
# The API
#

class TagOut(BaseModel):
    id: int
    name: str
    slug: str

    class Config:
        orm_mode = True


class TagCount(TagOut):
    post_count: int


class PostOut(BaseModel):
    id: int
    slug: str
    title: str
    body: str
    author: str
    published: bool
    created_at: datetime.datetime
    tags: list[TagOut]

    class Config:
        orm_mode = True


class TagPage(BaseModel):
    tag: TagOut
    page: int
    page_size: int
    total: int
    posts: list[PostOut]


class PostCreate(BaseModel):
    slug: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    author: str = Field(min_length=1, max_length=100)
    published: bool = False
    tags: list[str] = []


class PostPatch(BaseModel):
    """What a PATCH may change.  A field left out, or null, stays as it
    is: "tags" missing keeps the tags, "tags": [] removes them all."""

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = None
    published: bool | None = None
    tags: list[str] | None = None


app = FastAPI(title="tags lesson, on the tags extension")

# The errors of the database that a request can cause, by SQLSTATE
CLIENT_ERRORS = {
    "P0002": 404,   # no_data_found: the post was deleted meanwhile
    "22001": 422,   # string_data_right_truncation: a tag name is too long
    "23505": 409,   # unique_violation: another post has this slug
}


@app.exception_handler(DBAPIError)
def database_error(request, exc):
    status = CLIENT_ERRORS.get(getattr(exc.orig, "pgcode", None))
    if status is None:
        raise exc
    return JSONResponse({"detail": exc.orig.diag.message_primary},
                        status_code=status)


def find_post(session, post_id):
    post = session.get(Post, post_id)
    if post is None or post.deleted_at is not None:
        raise HTTPException(404, f"post {post_id} does not exist")
    return post


def find_tag(session, slug):
    tag = session.execute(
        select(Tag).where(Tag.slug == slug)).scalar_one_or_none()
    if tag is None:
        raise HTTPException(404, f"tag {slug!r} does not exist")
    return tag


@app.get("/tags", response_model=list[TagCount])
def list_tags(session: Session = Depends(get_session)):
    """Every tag with the number of its published posts, most used first."""
    return [TagCount(id=row.id, name=row.name, slug=row.slug,
                     post_count=row.item_count)
            for row in tag_counts(session)]


@app.get("/tags/{slug}/posts", response_model=TagPage)
def list_tag_posts(slug: str,
                   page: int = Query(1, ge=1),
                   page_size: int = Query(10, ge=1, le=100),
                   session: Session = Depends(get_session)):
    """One page of the tag's published posts, newest first, and how many
    there are in all."""
    tag = find_tag(session, slug)
    return TagPage(tag=TagOut.from_orm(tag), page=page, page_size=page_size,
                   total=tag_post_count(session, tag),
                   posts=posts_by_tag(session, tag, page, page_size))


@app.post("/posts", response_model=PostOut, status_code=201)
def create_post(new: PostCreate, session: Session = Depends(get_session)):
    post = Post(**new.dict(exclude={"tags"}))
    session.add(post)
    set_tags(session, post, new.tags)
    session.commit()
    return post


@app.get("/posts/{post_id}", response_model=PostOut)
def read_post(post_id: int, session: Session = Depends(get_session)):
    return find_post(session, post_id)


@app.patch("/posts/{post_id}", response_model=PostOut)
def update_post(post_id: int, patch: PostPatch,
                session: Session = Depends(get_session)):
    post = find_post(session, post_id)
    for field in ("title", "body", "published"):
        value = getattr(patch, field)
        if value is not None:
            setattr(post, field, value)
    set_tags(session, post, patch.tags)   # None: the tags stay
    session.commit()
    return post


@app.delete("/posts/{post_id}", status_code=204)
def delete_post(post_id: int, session: Session = Depends(get_session)):
    """A soft delete: the post and its tags stay, out of counts and pages."""
    post = find_post(session, post_id)
    post.deleted_at = func.now()
    session.commit()
    return Response(status_code=204)


@app.delete("/posts/{post_id}/tags/{slug}", response_model=PostOut)
def remove_post_tag(post_id: int, slug: str,
                    session: Session = Depends(get_session)):
    """Take one tag off the post; the tag itself stays.  A tag the post
    does not have is no error: the post is returned as it is."""
    post = find_post(session, post_id)
    remove_tag(session, post, find_tag(session, slug))
    session.commit()
    return post
