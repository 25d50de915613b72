"""The GCS emulator on loopback and a generated service-account key for signing."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.ports import free_port

TEST_BUCKET = "test-bucket"


@dataclass
class Emulator:
    url: str
    server: Any


def emulator_start() -> Emulator:
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=TEST_BUCKET)
    server.start()  # serves from its own thread
    return Emulator(url=f"http://127.0.0.1:{port}", server=server)


def signing_key_write(path: Path) -> Path:
    """A service-account key file of the kind `gcloud iam service-accounts keys create` writes."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "local",
                "private_key_id": "test-key",
                "private_key": pem,
                "client_email": "signer@local.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "http://127.0.0.1:9/token",
            }
        )
    )
    return path
