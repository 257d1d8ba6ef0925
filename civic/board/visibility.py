"""The one rule of what the public may see; every read surface builds on it.

Hidden content appears nowhere: lists, single posts, comments, search, feeds,
exports, counts. Rather than each surface remembering a `hidden_at IS NULL`
(Decidim's leaks came from a surface that forgot), surfaces select from the
expressions below and nothing else:

- a post is visible when it is not hidden;
- a comment is visible when it, its post and its parent comment (if any) are
  not hidden — a reply under a hidden comment would quote it out of context;
- an answer is visible when it is published and its post is visible;
- a dataset is visible when it is on a site, or on a visible post;
- counts (supports, comments) are taken over visible rows only;
- a support counts while its resident is not blocked (or removed): the count
  shown and the answer threshold both use `support_counts`.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from telemetry.db.tables import answers, comments, datasets, posts, residents, supports

# Aliases, so that the rule holds whatever the query around it joins or correlates.
_parent = aliased(comments)
_post = aliased(posts)


def post_visible() -> ColumnElement[bool]:
    return posts.c.hidden_at.is_(None)


def comment_visible() -> ColumnElement[bool]:
    parent_hidden = exists().where(
        and_(_parent.c.id == comments.c.parent_id, _parent.c.hidden_at.is_not(None))
    )
    post_hidden = exists().where(
        and_(_post.c.id == comments.c.post_id, _post.c.hidden_at.is_not(None))
    )
    return and_(comments.c.hidden_at.is_(None), ~parent_hidden, ~post_hidden)


def answer_visible() -> ColumnElement[bool]:
    return and_(
        answers.c.published_at.is_not(None),
        exists().where(and_(_post.c.id == answers.c.post_id, _post.c.hidden_at.is_(None))),
    )


def support_counts() -> ColumnElement[bool]:
    """A support counts while its resident exists and is not blocked."""
    return exists().where(
        and_(residents.c.id == supports.c.resident_id, residents.c.blocked_at.is_(None))
    )


def dataset_visible() -> ColumnElement[bool]:
    on_visible_post = exists().where(
        and_(_post.c.id == datasets.c.post_id, _post.c.hidden_at.is_(None))
    )
    return or_(datasets.c.post_id.is_(None), on_visible_post)


def visible_datasets() -> Select:
    """Dataset descriptions (never the bytes: those are read one file at a time)."""
    return select(*(c for c in datasets.c if c.name != "content")).where(dataset_visible())


def visible_posts() -> Select:
    """Visible posts with their support and visible-comment counts."""
    support_count = (
        select(func.count())
        .select_from(supports)
        .where(supports.c.post_id == posts.c.id, support_counts())
        .scalar_subquery()
    )
    comment_count = (
        select(func.count())
        .select_from(comments)
        .where(comments.c.post_id == posts.c.id, comment_visible())
        .scalar_subquery()
    )
    return select(
        posts,
        support_count.label("supports"),
        comment_count.label("comments"),
    ).where(post_visible())


def visible_comments(post_id: int) -> Select:
    return (
        select(comments)
        .where(comments.c.post_id == post_id, comment_visible())
        .order_by(comments.c.created_at, comments.c.id)
    )


def visible_answers() -> Select:
    return select(answers).where(answer_visible())


def matches(text: str) -> ColumnElement[bool]:
    """Search: title or body contains `text` (case-insensitive, wildcards taken literally)."""
    needle = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(posts.c.title.ilike(needle, escape="\\"), posts.c.body.ilike(needle, escape="\\"))
