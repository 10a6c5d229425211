"""The tags lesson's API on FastAPI, for many accounts: each account has its
own articles and its own tags, and an article has two tag lists, its topics
and its skills.

The application owns `public.accounts` and `public.articles`, whose primary
key is `(account_id, id)`.  The extension lives in the schema `tags`
(`CREATE EXTENSION tags SCHEMA tags`), and `tags.tags_enable` made the
articles taggable with `account_id` as their tenant column and the two
contexts `topics` and `skills`.  It created, in `public`:

- `tenant_tags`: every account's tags, keyed by `(tenant, id)`, so that two
  accounts each have their own `python`, both with the slug `python`;
- `articles_topics_tags` and `articles_skills_tags`: the two lists, each
  with its own counts (the articles' own list, `articles_tags`, is left
  unused: here every list has a name).

Every call of an extension function names the account and the list:
`tenant => :account_id, context => :context`.  The account comes from the
path, `/accounts/{account_id}/...`, and the dependency `find_account`
answers 404 for an account that does not exist, before anything is read.

SQLAlchemy maps `Account`, `Article` and `Tag` (`tenant_tags`), and reads
each list of an article through a read-only relationship, in the order the
tags were given.  Tags are written only through the extension's functions,
which normalize the names, create the missing tags with their slugs, keep
the order and the counts.  A function sees what the database has, so the
session is flushed before one is called; one that writes does it behind the
ORM's back, so the article's list is expired after it and read again.

Written for Debian 12: SQLAlchemy 1.4 in the 2.0 style it has
(`future=True`, `select()`), FastAPI 0.92 with Pydantic 1.10.
"""

import datetime
import enum

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey,
                        ForeignKeyConstraint, Identity, Integer, Table, Text,
                        UniqueConstraint, create_engine, false, func, select,
                        text)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (Session, declarative_base, relationship,
                            selectinload)


class Context(str, enum.Enum):
    """An article's tag lists: the contexts given to tags_enable."""

    topics = "topics"     # what the article is about
    skills = "skills"     # what a reader learns from it


Base = declarative_base()


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = {"schema": "public"}

    id = Column(BigInteger, Identity(), primary_key=True)
    name = Column(Text, nullable=False, unique=True)


class Tag(Base):
    """An account's tag, in the vocabulary that tags_enable made: read
    here, created by the extension's functions."""

    __tablename__ = "tenant_tags"
    __table_args__ = {"schema": "public"}

    account_id = Column("tenant", BigInteger, primary_key=True)
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)
    slug = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)


def tag_list(context):
    """The article's tags in one context, in the order they were given, as
    item_get_tags reads them, through the association table that
    tags_enable made for it.  Read only, since the functions write them;
    item_visible and item_sort, which the triggers copy from the article,
    are left out."""
    association = Table(
        f"articles_{context.value}_tags",
        Base.metadata,
        Column("tenant", BigInteger, primary_key=True),
        Column("item_id", BigInteger, primary_key=True),
        Column("tag_id", Integer, primary_key=True),
        Column("position", Integer),
        ForeignKeyConstraint(["tenant", "item_id"],
                             ["public.articles.account_id",
                              "public.articles.id"]),
        ForeignKeyConstraint(["tenant", "tag_id"],
                             ["public.tenant_tags.tenant",
                              "public.tenant_tags.id"]),
        schema="public",
    )
    return relationship(
        Tag,
        secondary=association,
        order_by=(association.c.position.asc().nulls_last(),
                  association.c.tag_id),
        viewonly=True,
    )


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("account_id", "slug"),
                      {"schema": "public"})

    account_id = Column(BigInteger, ForeignKey("public.accounts.id"),
                        primary_key=True)
    id = Column(BigInteger, Identity(), primary_key=True)
    slug = Column(Text, nullable=False)
    title = Column(Text, nullable=False)
    body = Column(Text, nullable=False, server_default="")
    author = Column(Text, nullable=False)
    published = Column(Boolean, nullable=False, server_default=false())
    created_at = Column(DateTime(timezone=True), nullable=False,
                        server_default=func.now())
    deleted_at = Column(DateTime(timezone=True))

    topics = tag_list(Context.topics)
    skills = tag_list(Context.skills)


def connect(database=None):
    """An engine for the server that libpq's environment names (PGHOST,
    PGPORT, PGUSER, PGPASSWORD, PGDATABASE), or for another database on it."""
    engine = create_engine("postgresql+psycopg2://", future=True)
    if database is not None:
        engine = create_engine(engine.url.set(database=database), future=True)
    return engine


def create_tables(engine):
    """Install the extension in its own schema, create the application's
    accounts and articles, and make the articles taggable, per account, in
    each context (which creates tenant_tags and the lists)."""
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA tags"))
        conn.execute(text("CREATE EXTENSION tags SCHEMA tags"))
        Account.__table__.create(conn)
        Article.__table__.create(conn)
        conn.execute(text(
            "SELECT tags.tags_enable('public.articles',"
            " visible => 'published AND deleted_at IS NULL',"
            " sort_column => 'created_at',"
            " tenant_column => 'account_id',"
            " contexts => :contexts)"),
            {"contexts": [context.value for context in Context]})


engine = connect()


def get_session():
    with Session(engine, future=True) as session:
        yield session


#
# The extension's functions, each told the account and the list
#

def set_tags(session, article, context, names):
    """Make the article's tags in this context exactly these names, in this
    order; None leaves them as they are, [] removes them all."""
    session.flush()
    # the tags it returns are read again through the relationship
    session.execute(text(
        "SELECT FROM tags.item_set_tags('public.articles', :id, :names,"
        " tenant => :account_id, context => :context)"),
        {"id": article.id, "names": names,   # None stays NULL
         "account_id": article.account_id, "context": context.value})
    session.expire(article, [context.value])


def remove_tag(session, article, context, tag):
    """Take the tag off the article's list; the tag itself stays."""
    session.flush()
    session.execute(text(
        "SELECT FROM tags.item_remove_tags('public.articles', :id, :names,"
        " tenant => :account_id, context => :context)"),
        {"id": article.id, "names": [tag.name],
         "account_id": article.account_id, "context": context.value})
    session.expire(article, [context.value])


def tag_counts(session, account_id, context):
    """Every tag of the account with the number of its visible articles in
    this context, most used first."""
    session.flush()
    return session.execute(text(
        "SELECT id, name, slug, item_count"
        " FROM tags.tag_item_counts('public.articles',"
        " tenant => :account_id, context => :context)"),
        {"account_id": account_id, "context": context.value}).all()


def search_tags(session, account_id, context, prefix, limit):
    """The account's tags whose name starts with the prefix, normalized,
    the most used in this context first: an autocomplete."""
    session.flush()
    return session.execute(text(
        "SELECT id, name, slug FROM tags.tags_search(:prefix, :limit,"
        " target => 'public.articles',"
        " tenant => :account_id, context => :context)"),
        {"prefix": prefix, "limit": limit,
         "account_id": account_id, "context": context.value}).all()


def tag_article_count(session, tag, context):
    """The number of the tag's visible articles in this context: the total
    for paging."""
    session.flush()
    return session.execute(text(
        "SELECT tags.tag_item_count('public.articles', :slug,"
        " tenant => :account_id, context => :context)"),
        {"slug": tag.slug, "account_id": tag.account_id,
         "context": context.value}).scalar_one()


def articles_by_tag(session, tag, context, page, page_size):
    """One page of the tag's visible articles in this context, newest
    first, as Article objects with their lists loaded."""
    session.flush()
    rows = text(
        "SELECT * FROM tags.items_by_tag(NULL::public.articles, :slug,"
        " :page, :page_size, tenant => :account_id, context => :context)")
    return session.execute(
        select(Article).from_statement(rows).options(
            selectinload(Article.topics), selectinload(Article.skills)),
        {"slug": tag.slug, "page": page, "page_size": page_size,
         "account_id": tag.account_id, "context": context.value},
    ).scalars().all()


#
# The API
#

class AccountIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class AccountOut(AccountIn):
    id: int

    class Config:
        orm_mode = True


class TagOut(BaseModel):
    id: int
    name: str
    slug: str

    class Config:
        orm_mode = True


class TagCount(TagOut):
    article_count: int


class ArticleOut(BaseModel):
    id: int
    account_id: int
    slug: str
    title: str
    body: str
    author: str
    published: bool
    created_at: datetime.datetime
    topics: list[TagOut]
    skills: list[TagOut]

    class Config:
        orm_mode = True


class TagPage(BaseModel):
    tag: TagOut
    page: int
    page_size: int
    total: int
    articles: list[ArticleOut]


class ArticleCreate(BaseModel):
    slug: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    author: str = Field(min_length=1, max_length=100)
    published: bool = False
    topics: list[str] = []
    skills: list[str] = []


class ArticlePatch(BaseModel):
    """What a PATCH may change.  A field left out, or null, stays as it
    is: "topics" missing keeps the topics, "topics": [] removes them all;
    the same for "skills"."""

    title: str | None = Field(None, min_length=1, max_length=200)
    body: str | None = None
    published: bool | None = None
    topics: list[str] | None = None
    skills: list[str] | None = None


app = FastAPI(title="tags lesson, per account, on the tags extension")

# The errors of the database that a request can cause, by SQLSTATE.  A
# call without a tenant (22004) is not among them: every call passes the
# account of the path, so one would be the application's bug, a 500.
CLIENT_ERRORS = {
    "P0002": 404,   # no_data_found: the article was deleted meanwhile
    "22001": 422,   # string_data_right_truncation: a tag name is too long
    "23505": 409,   # unique_violation: the name or slug is taken
}


@app.exception_handler(DBAPIError)
def database_error(request, exc):
    status = CLIENT_ERRORS.get(getattr(exc.orig, "pgcode", None))
    if status is None:
        raise exc
    return JSONResponse({"detail": exc.orig.diag.message_primary},
                        status_code=status)


@app.post("/accounts", response_model=AccountOut, status_code=201)
def create_account(new: AccountIn, session: Session = Depends(get_session)):
    account = Account(name=new.name)
    session.add(account)
    session.commit()
    return account


def find_account(account_id: int,
                 session: Session = Depends(get_session)) -> Account:
    """The account of the path, or 404: every route below depends on it."""
    account = session.get(Account, account_id)
    if account is None:
        raise HTTPException(404, f"account {account_id} does not exist")
    return account


def find_article(session, account, article_id):
    article = session.get(Article, (account.id, article_id))
    if article is None or article.deleted_at is not None:
        raise HTTPException(404, f"article {article_id} does not exist")
    return article


def find_tag(session, account, slug):
    tag = session.execute(select(Tag).where(
        Tag.account_id == account.id, Tag.slug == slug)).scalar_one_or_none()
    if tag is None:
        raise HTTPException(404, f"tag {slug!r} does not exist")
    return tag


accounts = APIRouter(prefix="/accounts/{account_id}")


@accounts.get("/{context}", response_model=list[TagCount])
def list_tags(context: Context,
              account: Account = Depends(find_account),
              session: Session = Depends(get_session)):
    """Every tag of the account with the number of its published articles
    in this context, most used first."""
    return [TagCount(id=row.id, name=row.name, slug=row.slug,
                     article_count=row.item_count)
            for row in tag_counts(session, account.id, context)]


@accounts.get("/{context}/search", response_model=list[TagOut])
def search(context: Context,
           q: str = Query(min_length=1, max_length=100),
           limit: int = Query(10, ge=1, le=100),
           account: Account = Depends(find_account),
           session: Session = Depends(get_session)):
    """The account's tags that start with q, the most used in this context
    first."""
    return [TagOut(id=row.id, name=row.name, slug=row.slug)
            for row in search_tags(session, account.id, context, q, limit)]


@accounts.get("/{context}/{slug}/articles", response_model=TagPage)
def list_tag_articles(context: Context, slug: str,
                      page: int = Query(1, ge=1),
                      page_size: int = Query(10, ge=1, le=100),
                      account: Account = Depends(find_account),
                      session: Session = Depends(get_session)):
    """One page of the published articles that have the tag in this
    context, newest first, and how many there are in all."""
    tag = find_tag(session, account, slug)
    return TagPage(
        tag=TagOut.from_orm(tag), page=page, page_size=page_size,
        total=tag_article_count(session, tag, context),
        articles=articles_by_tag(session, tag, context, page, page_size))


@accounts.post("/articles", response_model=ArticleOut, status_code=201)
def create_article(new: ArticleCreate,
                   account: Account = Depends(find_account),
                   session: Session = Depends(get_session)):
    article = Article(account_id=account.id,
                      **new.dict(exclude={"topics", "skills"}))
    session.add(article)
    for context in Context:
        set_tags(session, article, context, getattr(new, context.value))
    session.commit()
    return article


@accounts.get("/articles/{article_id}", response_model=ArticleOut)
def read_article(article_id: int,
                 account: Account = Depends(find_account),
                 session: Session = Depends(get_session)):
    return find_article(session, account, article_id)


@accounts.patch("/articles/{article_id}", response_model=ArticleOut)
def update_article(article_id: int, patch: ArticlePatch,
                   account: Account = Depends(find_account),
                   session: Session = Depends(get_session)):
    article = find_article(session, account, article_id)
    for field in ("title", "body", "published"):
        value = getattr(patch, field)
        if value is not None:
            setattr(article, field, value)
    for context in Context:   # None: the list stays
        set_tags(session, article, context, getattr(patch, context.value))
    session.commit()
    return article


@accounts.delete("/articles/{article_id}", status_code=204)
def delete_article(article_id: int,
                   account: Account = Depends(find_account),
                   session: Session = Depends(get_session)):
    """A soft delete: the article and its tags stay, out of counts and
    pages."""
    article = find_article(session, account, article_id)
    article.deleted_at = func.now()
    session.commit()
    return Response(status_code=204)


@accounts.delete("/articles/{article_id}/{context}/{slug}",
                 response_model=ArticleOut)
def remove_article_tag(article_id: int, context: Context, slug: str,
                       account: Account = Depends(find_account),
                       session: Session = Depends(get_session)):
    """Take one tag off one of the article's lists; the tag itself stays.
    A tag the list does not have is no error: the article is returned as
    it is."""
    article = find_article(session, account, article_id)
    remove_tag(session, article, context, find_tag(session, account, slug))
    session.commit()
    return article


app.include_router(accounts)
