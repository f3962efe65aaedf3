"""Signed checkpoints: a Merkle root over every chain's head, published and verified."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from app.audit.checkpoints import CheckpointWriter, leaf_hash, merkle_root
from app.audit.models import AuditChain, AuditCheckpoint, AuditCheckpointLeaf, AuditEvent
from app.db import get_sessionmaker
from app.signing.service import verify_detached
from tests.audit.helpers import edited_cases, imwu


def _checkpoint() -> int:
    written = imwu("audit", "checkpoint")
    assert written.returncode == 0, written.stderr
    number: int = __import__("json").loads(written.stdout)["checkpoint"]
    return number


class TestMerkleRoot:
    def test_matches_rfc_6962_for_three_leaves(self) -> None:
        import hashlib

        a, b, c = (hashlib.sha256(b"\x00" + x).digest() for x in (b"a", b"b", b"c"))
        left = hashlib.sha256(b"\x01" + a + b).digest()
        assert merkle_root([a, b, c]) == hashlib.sha256(b"\x01" + left + c).hexdigest()
        assert merkle_root([]) == hashlib.sha256(b"").hexdigest()


class TestPublishedCheckpoints:
    def test_the_root_covers_every_head_and_the_signature_verifies(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        edited_cases(client, rep, 3)
        assert _checkpoint() == 1
        assert _checkpoint() is None  # nothing moved since
        published = client.get("/api/v1/audit/checkpoints")  # public, like a log's tree heads
        assert published.status_code == 200
        (checkpoint,) = published.json()
        with get_sessionmaker()() as session:
            heads = session.execute(
                select(AuditChain.chain_id, AuditChain.seq, AuditChain.hash).order_by(
                    AuditChain.chain_id
                )
            ).all()
        chains = [h for h in heads if not h[0].startswith("account:")]
        assert len(chains) == 3
        assert checkpoint["size"] == len(heads)
        assert checkpoint["root"] == merkle_root([leaf_hash(c, s, h) for c, s, h in heads])
        assert checkpoint["note"].splitlines()[:4] == [
            "imwu-intake audit checkpoint v1",
            "1",
            str(len(heads)),
            checkpoint["root"],
        ]
        assert verify_detached(
            checkpoint["key_id"], checkpoint["note"].encode(), checkpoint["signature"]
        )

    def test_a_later_checkpoint_stores_only_the_chains_that_moved(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        first, _second = edited_cases(client, rep, 2)
        _checkpoint()
        client.patch(
            f"/api/v1/requests/{first}", json={"work": {"job_title": "Chief"}}, headers=rep
        )
        assert _checkpoint() == 2
        with get_sessionmaker()() as session:
            moved = session.execute(
                select(AuditCheckpointLeaf.chain_id, AuditCheckpointLeaf.seq).where(
                    AuditCheckpointLeaf.checkpoint_id == 2
                )
            ).all()
        assert moved == [(first, 4)]
        assert imwu("audit", "verify").returncode == 0

    def test_the_background_writer_seals_new_events(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        edited_cases(client, rep, 1)
        writer = CheckpointWriter(get_sessionmaker(), interval_s=0.05)
        writer.start()
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with get_sessionmaker()() as session:
                    if session.get(AuditCheckpoint, 1) is not None:
                        break
                time.sleep(0.05)
        finally:
            writer.stop()
        assert imwu("audit", "verify").returncode == 0
        assert len(client.get("/api/v1/audit/checkpoints").json()) == 1


class TestCheckpointTampering:
    def test_deleting_a_whole_case_is_found_by_the_checkpoint(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        case_id, _ = sorted(edited_cases(client, rep, 2))
        _checkpoint()
        with get_sessionmaker().begin() as session:
            session.execute(delete(AuditEvent).where(AuditEvent.chain_id == case_id))
            session.execute(delete(AuditChain).where(AuditChain.chain_id == case_id))
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert (
            f"checkpoint 1: event 3 of chain {case_id}, which it seals, is missing or changed"
            in broken.stderr
        )
        refused = imwu("audit", "checkpoint")
        assert refused.returncode == 1
        assert f"chain {case_id}, sealed at event 3, is missing" in refused.stderr

    def test_editing_a_checkpoint_root(self, client: TestClient, rep: dict[str, str]) -> None:
        edited_cases(client, rep, 2)
        _checkpoint()
        with get_sessionmaker().begin() as session:
            session.execute(update(AuditCheckpoint).values(root="0" * 64))
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert "checkpoint 1: its root does not match its leaves" in broken.stderr

    def test_rewriting_a_checkpoint_consistently_fails_its_signature(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        """Drop a case from the sealed leaves and recompute root and note: only the key could
        sign that."""
        case_id, _ = sorted(edited_cases(client, rep, 2))
        _checkpoint()
        with get_sessionmaker().begin() as session:
            session.execute(
                delete(AuditCheckpointLeaf).where(AuditCheckpointLeaf.chain_id == case_id)
            )
            leaves = session.execute(
                select(
                    AuditCheckpointLeaf.chain_id, AuditCheckpointLeaf.seq, AuditCheckpointLeaf.hash
                ).order_by(AuditCheckpointLeaf.chain_id)
            ).all()
            root = merkle_root([leaf_hash(c, s, h) for c, s, h in leaves])
            checkpoint = session.get(AuditCheckpoint, 1)
            assert checkpoint is not None
            lines = checkpoint.note.splitlines()
            lines[2:4] = [str(len(leaves)), root]
            checkpoint.size, checkpoint.root, checkpoint.note = (
                len(leaves),
                root,
                "\n".join(lines) + "\n",
            )
        broken = imwu("audit", "verify")
        assert broken.returncode == 1
        assert "checkpoint 1: its signature does not verify" in broken.stderr

    def test_an_unsigned_checkpoint_is_reported_until_signed(
        self, client: TestClient, rep: dict[str, str]
    ) -> None:
        edited_cases(client, rep, 1)
        _checkpoint()
        with get_sessionmaker().begin() as session:
            session.execute(update(AuditCheckpoint).values(signature=None, key_id=None))
        unsigned = imwu("audit", "verify")
        assert unsigned.returncode == 1
        assert "checkpoint 1: not signed yet" in unsigned.stderr
        assert _checkpoint() is None  # signs the pending one; nothing moved
        assert imwu("audit", "verify").returncode == 0
