"""A few example posts from the demo sites, so the board is not empty on a first run.

Written through the same store functions as real posts (residents redeem
codes, staff answer); it runs only on a board without posts, so running it
twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

from civic.board import answers, discussion, posts, tenancy
from civic.board.answers import AnswerDraft
from civic.board.codes import ForTenancy, for_board
from civic.board.context import Author, Board
from civic.board.discussion import CommentDraft
from civic.board.posts import PostDraft, PostKind
from telemetry.db import audit, tenancies

# Example data written by the platform, not by a person: the answer says so.
SEED_ACTOR = audit.SYSTEM
# site, dong, unit (config/units/), kind, title, body
EXAMPLES = [
    ("pungam-lh-apt", "2914083000", "101-1203", PostKind.PROPOSAL,
     "지하주차장 조명을 LED로 바꿔 주세요",
     "밤 시간 전력 사용이 많습니다. 지하주차장 조명을 **LED**와 동작 감지 센서로 바꾸면 "
     "공용 전기요금을 줄일 수 있을 것 같습니다."),
    ("munheung-apt", "2917065600", "305-502", PostKind.QUESTION,
     "겨울철 난방 사용량은 어떻게 비교하나요?",
     "작년 같은 달과 비교한 우리 동의 난방 사용량을 볼 수 있을까요?"),
    ("pungam-lh-apt", "2914083000", "105-801", PostKind.DATA_REQUEST,
     "단지 태양광 발전량 월별 자료를 공개해 주세요",
     "옥상 태양광이 실제로 얼마나 발전하는지 월별 CSV로 받아 보고 싶습니다."),
    ("munheung-apt", "2917065600", "307-1001", PostKind.PROBLEM_REPORT,
     "복도 조명이 낮에도 켜져 있습니다",
     "307동 복도 조명이 낮 시간에도 켜져 있습니다. 타이머 점검 부탁드립니다."),
]  # fmt: skip


def seed(board: Board, secret: bytes) -> int:
    """Write the example posts unless the board has posts; how many were written."""
    if posts.count_posts(board) > 0:
        return 0
    codes = for_board(board, secret)
    written: list[tuple[int, Author]] = []
    for site, dong, unit, kind, title, body in EXAMPLES:
        with board.engine.connect() as conn:
            lives = tenancies.current(conn, site, unit)
        if lives is None:  # the example's household moved in a year ago
            now = board.clock()
            day = now.date().replace(day=1) - dt.timedelta(days=365)
            lives = tenancy.move_in(board.engine, SEED_ACTOR, site, unit, day, now)
        issued = codes.issue(site, dong, [ForTenancy(unit, lives.id)], batch="demo")
        who = Author(resident_id=codes.redeem(issued[0].code).id)
        draft = PostDraft(kind=kind, title=title, body=body, dong=dong, site=site)
        written.append((posts.create(board, who, draft, None), who))
    first, _ = written[0]
    for _, who in written[1:]:
        discussion.support(board, who.resident_id or 0, first)
    discussion.comment(
        board, written[2][1], first, CommentDraft(body="저도 찬성합니다. 밤에 너무 밝아요.")
    )
    answers.write_answer(
        board,
        first,
        SEED_ACTOR,
        AnswerDraft(body="내년 상반기 공용부 LED 교체 사업에 포함하여 검토하겠습니다."),
    )
    answers.publish_answer(board, first, SEED_ACTOR)
    answers.set_status(board, first, "under_review", SEED_ACTOR)
    return len(written)
