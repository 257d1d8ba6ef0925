"""The board's staff routes (role moderator): answers, statuses, moderation.

Staff act through their own session (`staff_session` cookie; writes carry its
CSRF token in `X-CSRF-Token`, api/staff_auth.py) or, for machines, the
admin bearer token. Who acted comes from that credential alone (`staff:<name>`
or `machine:admin-token`): it is the name on the answer, in the moderation
log and in the audit log. No header can name someone else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.guards import BoardD, ItemId, small_body
from api.problems import PROBLEM_RESPONSES, STAFF_WRITE
from api.staff_auth import Principal, moderator
from civic.board import answers, moderation
from civic.board.answers import AnswerDraft
from civic.board.views import AnswerVersionView

router = APIRouter(
    prefix="/v1/board",
    tags=["board staff"],
    responses=PROBLEM_RESPONSES | STAFF_WRITE,
    dependencies=[Depends(small_body)],
)
# A moderator (or an administrator, or the machines' token); the actor is the credential's.
Staff = Annotated[Principal, Depends(moderator)]


class StatusIn(BaseModel):
    status: str = Field(max_length=32, examples=["under_review"])


class Note(BaseModel):
    note: str = Field(min_length=1, max_length=1000, description="why; the author is shown it")


@router.put("/posts/{post_id}/answer", status_code=204, summary="Write the official answer")
def write_answer(post_id: ItemId, draft: AnswerDraft, staff: Staff, b: BoardD) -> None:
    answers.write_answer(b, post_id, staff.actor, draft)


@router.post("/posts/{post_id}/answer/publish", status_code=204, summary="Publish the answer")
def publish_answer(post_id: ItemId, staff: Staff, b: BoardD) -> None:
    answers.publish_answer(b, post_id, staff.actor)


@router.get(
    "/posts/{post_id}/answer/versions",
    response_model=list[AnswerVersionView],
    summary="Every text of the answer, drafts included (residents see the published ones)",
)
def answer_versions(post_id: ItemId, _staff: Staff, b: BoardD) -> list[AnswerVersionView]:
    return answers.versions(b, post_id, drafts=True)


@router.put("/posts/{post_id}/status", status_code=204, summary="Set a post's status")
def set_status(post_id: ItemId, body: StatusIn, staff: Staff, b: BoardD) -> None:
    answers.set_status(b, post_id, body.status, staff.actor)


@router.get(
    "/moderation/queue",
    response_model=list[moderation.QueueItem],
    summary="Reported items waiting for a decision",
)
def queue(_staff: Staff, b: BoardD) -> list[moderation.QueueItem]:
    return moderation.queue(b)


@router.post("/moderation/{kind}/{item_id}/hide", status_code=204, summary="Hide an item")
def hide(kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD) -> None:
    moderation.hide(b, staff.actor, kind, item_id, body.note)


@router.post("/moderation/{kind}/{item_id}/restore", status_code=204, summary="Restore an item")
def restore(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    moderation.restore(b, staff.actor, kind, item_id, body.note)


@router.post(
    "/moderation/{kind}/{item_id}/block-author",
    status_code=204,
    summary="Block the item's author (hides all their content)",
)
def block_author(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    author = moderation.author_of(b, kind, item_id)
    moderation.block(b, staff.actor, author, body.note, via=(kind.value, item_id))


@router.post(
    "/moderation/{kind}/{item_id}/unblock-author",
    status_code=204,
    summary="Unblock the item's author (restores what the block hid)",
)
def unblock_author(
    kind: moderation.ItemKind, item_id: ItemId, body: Note, staff: Staff, b: BoardD
) -> None:
    author = moderation.author_of(b, kind, item_id)
    moderation.unblock(b, staff.actor, author, body.note, via=(kind.value, item_id))
