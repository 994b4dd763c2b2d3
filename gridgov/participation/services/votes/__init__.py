"""Owners' votes (业主表决): create, open (the roll), designate, proxies, ballots, close (seal).

The rules come from 民法典 第278条 and 法释〔2009〕7号 (2020年修正) 第8–9条; the arithmetic lives
in ``gridgov.participation.rules``, the roll, the ballots and the seal in this package. Every write
is atomic and leaves an audit row. One ballot per owner is the database's unique constraint (a
second insert fails and is answered with a clear message), never a check before the write.
"""

from gridgov.participation.services.votes.ballots import (
    ballot_cast,
    paper_ballot_record,
    proxy_record,
    voter_designate,
)
from gridgov.participation.services.votes.common import (
    LABEL_ROOMS,
    MAX_PLANS,
    PLAN_MAX,
    RECEIPT_BYTES,
    TITLE_MAX,
    VOTER_KEY_MAX,
    DuplicateBallotError,
    NotAnOwnerError,
    ProxyNotAuthorisedError,
    VoteChoiceError,
    VoteError,
    VoteNotFoundError,
    VoteRollError,
    VoteScopeError,
    VoteStateError,
    new_receipt,
)
from gridgov.participation.services.votes.counting import (
    ChoiceCount,
    Outcome,
    certified_result,
    choice_key,
    count_ballots,
    option_keys,
    option_labels,
    seal_digest,
    seal_payload,
    vote_certify,
    vote_close,
    vote_close_due,
    vote_outcome,
)
from gridgov.participation.services.votes.lifecycle import (
    build_roll,
    vote_create,
    vote_open,
    write_roll,
)
from gridgov.participation.services.votes.receipts import (
    ReceiptCheck,
    ballot_verify_receipt,
    masked_names,
)

__all__ = [
    "LABEL_ROOMS",
    "MAX_PLANS",
    "PLAN_MAX",
    "RECEIPT_BYTES",
    "TITLE_MAX",
    "VOTER_KEY_MAX",
    "ChoiceCount",
    "DuplicateBallotError",
    "NotAnOwnerError",
    "Outcome",
    "ProxyNotAuthorisedError",
    "ReceiptCheck",
    "VoteChoiceError",
    "VoteError",
    "VoteNotFoundError",
    "VoteRollError",
    "VoteScopeError",
    "VoteStateError",
    "ballot_cast",
    "ballot_verify_receipt",
    "build_roll",
    "certified_result",
    "choice_key",
    "count_ballots",
    "masked_names",
    "new_receipt",
    "option_keys",
    "option_labels",
    "paper_ballot_record",
    "proxy_record",
    "seal_digest",
    "seal_payload",
    "vote_certify",
    "vote_close",
    "vote_close_due",
    "vote_create",
    "vote_open",
    "vote_outcome",
    "voter_designate",
    "write_roll",
]
