"""Comments (two levels deep) and supports (one per resident per post) on open posts."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from civic.board import visibility
from civic.board.context import Author, Board, Refused, Why
from civic.board.posts import MAX_BODY, open_post, refuse_blocked
from telemetry.db.tables import comments, posts, supports


class CommentDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=MAX_BODY // 2, description="Markdown; no raw HTML")
    parent_id: int | None = Field(
        default=None, ge=1, le=2_147_483_647, description="reply to this top-level comment"
    )


def comment(board: Board, who: Author, post_id: int, draft: CommentDraft) -> int:
    with board.engine.begin() as conn:
        refuse_blocked(conn, who)
        open_post(conn, post_id)
        if draft.parent_id is not None:
            parent = conn.execute(
                select(comments.c.parent_id).where(
                    comments.c.id == draft.parent_id,
                    comments.c.post_id == post_id,
                    visibility.comment_visible(),
                )
            ).first()
            if parent is None:
                raise Refused(Why.NOT_FOUND, f"no comment {draft.parent_id} on post {post_id}")
            if parent.parent_id is not None:
                raise Refused(
                    Why.INVALID, "comments go two levels deep: reply to the first", "parent_id"
                )
        return conn.execute(
            insert(comments)
            .values(
                post_id=post_id,
                parent_id=draft.parent_id,
                body=draft.body,
                created_at=board.clock(),
                **who.columns(),
            )
            .returning(comments.c.id)
        ).scalar_one()


def support(board: Board, resident_id: int, post_id: int) -> int:
    """Support a post once; the post's support count after it.

    The primary key (post, resident) is the rule; the check before it only
    gives the usual case a clear message. The post that reaches the threshold
    starts the city's answer clock; supports of blocked residents do not count
    (visibility.support_counts). A clock once started is not stopped by a later
    block: the city's promise stands.
    """
    now = board.clock()
    try:
        with board.engine.begin() as conn:
            refuse_blocked(conn, Author(resident_id=resident_id))
            post = open_post(conn, post_id)
            conn.execute(
                insert(supports).values(post_id=post_id, resident_id=resident_id, created_at=now)
            )
            count = conn.execute(
                select(func.count())
                .select_from(supports)
                .where(supports.c.post_id == post_id, visibility.support_counts())
            ).scalar_one()
            if count >= board.config.support_threshold and post.threshold_at is None:
                conn.execute(
                    update(posts)
                    .where(posts.c.id == post_id, posts.c.threshold_at.is_(None))
                    .values(
                        threshold_at=now,
                        answer_due_at=now + timedelta(days=board.config.answer_days),
                    )
                )
            return count
    except IntegrityError as exc:
        raise Refused(Why.DUPLICATE, f"you already support post {post_id}") from exc
