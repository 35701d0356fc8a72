"""The suite's payload keyring: fixed, so histories recorded by a test run stay decryptable later.

Test-only keys, public by design; never use them anywhere else.
"""

from __future__ import annotations

from engine.service.payload_codec import data_converter
from engine.service.payload_keys import Keyring

TEST_PAYLOAD_KEYS = "test-1:jMIRMeA1/sL6cNZJFSh7L4aBlN2gF8nSTGFa2PEStFQ="
TEST_KEYRING = Keyring.parse((TEST_PAYLOAD_KEYS, "tests"))
TEST_DATA_CONVERTER = data_converter(TEST_KEYRING)
