"""The audit log's hash chain, free of any framework.

Each entry's hash covers its own fields and the hash of the entry before it, so altering,
removing or reordering any entry breaks every hash after it. Fields are length-prefixed before
hashing so that no two different entries can produce the same byte string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

GENESIS_HASH = "0" * 64

#: The entry fields that the hash covers, in hashing order (``entry_hash`` itself excluded).
HASHED_FIELDS = (
    "seq",
    "recorded_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "prev_hash",
)


def entry_digest(
    seq: int,
    recorded_at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: str,
    after: str,
    prev_hash: str,
) -> str:
    """Return the SHA-256 hex digest of one entry's fields."""
    digest = hashlib.sha256()
    for value in (str(seq), recorded_at, actor, action, object_type, object_id, before, after):
        data = value.encode("utf-8")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    digest.update(prev_hash.encode("ascii"))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry at which the chain stops being consistent."""

    seq: int
    reason: str


def verify_chain(
    rows: Iterable[tuple[int, str, str, str, str, str, str, str, str, str]],
    *,
    expected_head: tuple[int, str] | None = None,
) -> tuple[int, ChainBreak | None]:
    """Check rows ``(seq, recorded_at, actor, action, object_type, object_id, before, after,
    prev_hash, entry_hash)`` given in ascending ``seq`` order.

    Returns the number of entries checked and the first break, or ``None`` when intact.
    ``expected_head`` (last seq, last hash), kept apart from the entries, catches a chain whose
    newest entries were cut off.
    """
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    sha256 = hashlib.sha256
    for row in rows:
        seq, recorded_at, actor, action, object_type, object_id, before, after, prev_hash, h = row
        count += 1
        if seq != expected_seq:
            reason = (
                f"entry {expected_seq} is missing (next entry found is {seq})"
                if seq > expected_seq
                else f"entry {seq} is out of order or duplicated (expected {expected_seq})"
            )
            return count, ChainBreak(seq=expected_seq if seq > expected_seq else seq, reason=reason)
        if prev_hash != prev:
            return count, ChainBreak(
                seq=seq, reason="its prev_hash does not match the hash of the entry before it"
            )
        # Inlined entry_digest: this loop runs a million times in `testigo audit verify`.
        digest = sha256()
        for value in (str(seq), recorded_at, actor, action, object_type, object_id, before, after):
            data = value.encode("utf-8")
            digest.update(b"%d:" % len(data))
            digest.update(data)
        digest.update(prev_hash.encode("ascii"))
        if digest.hexdigest() != h:
            return count, ChainBreak(seq=seq, reason="its content does not match its hash")
        prev = h
        expected_seq += 1
    if expected_head is not None:
        head_seq, head_hash = expected_head
        last_seq = expected_seq - 1
        if head_seq != last_seq or (last_seq > 0 and head_hash != prev):
            return count, ChainBreak(
                seq=min(head_seq, last_seq) + 1 if head_seq > last_seq else last_seq,
                reason=(
                    f"the recorded head (entry {head_seq}) does not match the last entry found "
                    f"(entry {last_seq}): entries were removed or added outside the log"
                ),
            )
    return count, None
