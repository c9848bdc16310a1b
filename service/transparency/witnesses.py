"""Asking witnesses to cosign the log's checkpoints (C2SP tlog-witness, the log's side).

A *round* (the transparency worker runs one every ``transparency_interval_seconds``;
``POST /v1/transparency/witnesses/cosign`` runs one at once) first signs the tree as it
has grown (``service.sign_grown``, through the signer's record), then, for each witness
that is due, submits in size order every close's head it has not cosigned and the newest
head: ``POST <prefix>/add-checkpoint`` with ``old <size it last cosigned>``, the
consistency proof from that size, a blank line and the signed checkpoint. A 409 with
``text/x.tlog.size`` tells the size the witness holds: the request is sent once more from
that size. Each cosignature is verified against the witness's key before it is kept. A
witness that fails is retried after 5 s, 10 s, 20 s, … (at most an hour apart); a close
never waits for any of this.
"""

import base64
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlmodel import Session, col, select

from service.proofs import notes
from service.timeutil import utcnow
from service.transparency import checkpoints, record, service
from service.transparency.models import SignedTreeHead, TransparencyWitness
from service.transparency.signing import OperatorKey

log = logging.getLogger("ledger.witnesses")
BACKOFF_S = 5.0
MAX_BACKOFF_S = 3600.0
TIMEOUT_S = 10.0
Post = Callable[[str, bytes], httpx.Response]


class BadWitness(ValueError):
    """A witness configuration that cannot be used."""


@dataclass(frozen=True, slots=True)
class Witness:
    verifier: notes.Verifier
    url: str  # the submission prefix

    @property
    def name(self) -> str:
        return self.verifier.name


def witness(vkey: str, url: str) -> Witness:
    try:
        verifier = notes.parse_vkey(vkey)
    except notes.NoteError as exc:
        raise BadWitness(f"witness key {vkey!r}: {exc}") from exc
    if verifier.kind != notes.COSIGNATURE_V1:
        raise BadWitness(f"witness key {vkey!r}: not a cosignature/v1 (0x04) key")
    if not url.startswith(("http://", "https://")):
        raise BadWitness(f"witness URL {url!r}: http(s) expected")
    return Witness(verifier, url.rstrip("/"))


def configured(text: str | None) -> list[Witness]:
    """``LEDGER_WITNESSES``: comma-separated ``VKEY URL`` pairs."""
    found = []
    for entry in (text or "").split(","):
        if entry.strip():
            vkey, _, url = entry.strip().partition(" ")
            found.append(witness(vkey, url.strip()))
    return found


def registered(*, session: Session) -> list[Witness]:
    rows = session.exec(select(TransparencyWitness).order_by(col(TransparencyWitness.added_at)))
    return [witness(row.vkey, row.url) for row in rows]


def register(*, session: Session, vkey: str, url: str, now: datetime) -> Witness:
    """Add (or move) a witness; it is asked from the next round on."""
    found = witness(vkey, url)
    row = session.get(TransparencyWitness, found.verifier.vkey)
    if row is None:
        session.add(TransparencyWitness(vkey=found.verifier.vkey, url=found.url, added_at=now))
    else:
        # the table is not append-only: a witness may move to another address
        row.url = found.url
        session.add(row)
    session.flush()
    return found


def request_body(old: int, proof: Iterable[bytes], note: str) -> bytes:
    """An add-checkpoint body: ``old N``, the proof's hashes in base64, a blank line, the
    checkpoint (each line ends in a newline)."""
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def _post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url, content=body, timeout=TIMEOUT_S)


Sessions = Callable[[], AbstractContextManager[Session]]


@dataclass
class Cosigner:
    """One log's witness rounds; remembers each witness's backoff between rounds.

    ``sessions`` opens a short unit of work (the worker: a session committed on exit;
    the admin endpoint: its request session): no transaction is held while a witness
    is being asked."""

    sessions: Sessions
    key: OperatorKey
    fixed: list[Witness]
    post: Post = _post
    failures: dict[str, int] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)

    def round(self, now: float) -> dict[str, str]:
        """Sign the grown tree, then ask every due witness; an outcome per witness name."""
        with self.sessions() as session:
            try:
                with session.begin_nested():
                    service.sign_grown(session=session, key=self.key)
            except record.SignerRefused:
                pass  # logged by the record; the heads already signed are still served
            everyone = [*self.fixed, *registered(session=session)]
        outcomes = {}
        for each in everyone:
            if self.due.get(each.verifier.vkey, 0.0) > now:
                outcomes[each.name] = "backing off"
                continue
            outcomes[each.name] = self._ask(each, now)
        return outcomes

    def _ask(self, each: Witness, now: float) -> str:
        vkey = each.verifier.vkey
        try:
            with self.sessions() as session:
                after = checkpoints.cosigned_sizes(session=session, witness_vkey=vkey)
                sizes = [sth.tree_size for sth in _targets(session, after)]
            for size in sizes:
                self._submit(each, size)
        except (httpx.HTTPError, notes.NoteError, record.SignerRefused, _Refused) as exc:
            failures = self.failures.get(vkey, 0) + 1
            self.failures[vkey] = failures
            delay = min(BACKOFF_S * 2 ** (failures - 1), MAX_BACKOFF_S)
            self.due[vkey] = now + delay
            log.warning("witness %s: %s; retrying in %.0f s", each.name, exc, delay)
            return f"failed: {exc}"
        self.failures.pop(vkey, None)
        self.due.pop(vkey, None)
        return "ok"

    def _body(
        self, each: Witness, size: int, old: int | None
    ) -> tuple[int, bytes, notes.Checkpoint]:
        with self.sessions() as session:
            sth = service.stored(session=session, size=size)
            assert sth is not None  # heads are never deleted (triggers)
            signed = checkpoints.signed(session=session, key=self.key, sth=sth)
            if old is None:
                old = checkpoints.cosigned_sizes(session=session, witness_vkey=each.verifier.vkey)
            proof = (
                service.consistency(session=session, first=old, second=size)
                if 0 < old < size
                else []
            )
        note = signed.checkpoint.text + "\n" + signed.signature
        return old, request_body(old, proof, note), signed.checkpoint

    def _submit(self, each: Witness, size: int) -> None:
        old, body, checkpoint = self._body(each, size, None)
        answer = self.post(f"{each.url}/add-checkpoint", body)
        if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
            "text/x.tlog.size"
        ):
            theirs = int(answer.text.strip() or "0")
            if theirs != old and theirs <= size:  # once more, from the size it holds
                old, body, checkpoint = self._body(each, size, theirs)
                answer = self.post(f"{each.url}/add-checkpoint", body)
        if answer.status_code != 200:
            raise _Refused(f"{answer.status_code} {answer.text.strip()[:200]}")
        mine = [line for line in answer.text.splitlines() if _signed_by(line, each.verifier)]
        if not mine:
            raise _Refused("no cosignature of its key in the answer")
        with self.sessions() as session:
            for line in mine:
                checkpoints.keep_cosignature(
                    session=session,
                    checkpoint=checkpoint,
                    witness=each.verifier,
                    line=line,
                    now=utcnow(),
                )


def _signed_by(line: str, verifier: notes.Verifier) -> bool:
    try:
        sig = notes.parse_signature_line(line)
    except notes.NoteError:
        return False
    return (sig.name, sig.key_id) == (verifier.name, verifier.key_id)


class _Refused(Exception):
    """A witness answered, but not with its cosignature."""


def _targets(session: Session, after: int) -> list[SignedTreeHead]:
    """The closes' heads past ``after``, then the newest head, in size order."""
    newest = service.newest(session=session)
    if newest is None or newest.tree_size <= after:
        return []
    closes = session.exec(
        select(SignedTreeHead)
        .where(col(SignedTreeHead.period).is_not(None))
        .where(SignedTreeHead.tree_size > after)
        .where(SignedTreeHead.tree_size < newest.tree_size)
        .order_by(col(SignedTreeHead.tree_size))
    ).all()
    return [*closes, newest]
