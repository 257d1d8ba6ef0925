"""The board's staff routes (admin token): answers, statuses, moderation.

Staff authenticate with the operator's bearer token, which a browser never
sends by itself, so these writes need no CSRF token. `X-Staff-Name` labels
who acted in answers and the moderation log; it is a label, not a login.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from api.auth import require_admin
from api.guards import BoardD, ItemId, small_body
from api.problems import AUTH_RESPONSES, PROBLEM_RESPONSES
from civic.board import answers, moderation
from civic.board.answers import AnswerDraft

router = APIRouter(
    prefix="/v1/board",
    tags=["board staff"],
    responses=PROBLEM_RESPONSES | AUTH_RESPONSES,
    dependencies=[Depends(require_admin), Depends(small_body)],
)


def staff_name(
    x_staff_name: Annotated[
        str | None, Header(pattern=r"^[\w.@ -]{1,64}$", description="who acts, for the log")
    ] = None,
) -> str:
    return x_staff_name or "city-staff"


Staff = Annotated[str, Depends(staff_name)]


class StatusIn(BaseModel):
    status: str = Field(max_length=32, examples=["under_review"])


class Note(BaseModel):
    note: str = Field(min_length=1, max_length=1000, description="why; the author is shown it")


@router.put("/posts/{post_id}/answer", status_code=204, summary="Write the official answer")
def write_answer(post_id: ItemId, draft: AnswerDraft, staff: Staff, b: BoardD) -> None:
    answers.write_answer(b, post_id, staff, draft)


@router.post("/posts/{post_id}/answer/publish", status_code=204, summary="Publish the answer")
def publish_answer(post_id: ItemId, b: BoardD) -> None:
    answers.publish_answer(b, post_id)


@router.put("/posts/{post_id}/status", status_code=204, summary="Set a post's status")
def set_status(post_id: ItemId, body: StatusIn, b: BoardD) -> None:
    answers.set_status(b, post_id, body.status)


@router.get(
    "/moderation/queue",
    response_model=list[moderation.QueueItem],
    summary="Reported items waiting for a decision",
)
def queue(b: BoardD) -> list[moderation.QueueItem]:
    return moderation.queue(b)


@router.post("/moderation/{kind}/{item_id}/hide", status_code=204, summary="Hide an item")
def hide(kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD) -> None:
    moderation.hide(b, staff, kind, item_id, body.note)


@router.post("/moderation/{kind}/{item_id}/restore", status_code=204, summary="Restore an item")
def restore(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    moderation.restore(b, staff, kind, item_id, body.note)


@router.post(
    "/moderation/{kind}/{item_id}/block-author",
    status_code=204,
    summary="Block the item's author (hides all their content)",
)
def block_author(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    moderation.block(b, staff, moderation.author_of(b, kind, item_id), body.note)


@router.post(
    "/moderation/{kind}/{item_id}/unblock-author",
    status_code=204,
    summary="Unblock the item's author (restores what the block hid)",
)
def unblock_author(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    moderation.unblock(b, staff, moderation.author_of(b, kind, item_id), body.note)
