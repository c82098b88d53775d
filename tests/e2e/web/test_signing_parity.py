"""The staff console signs in the browser with Web Crypto (web/src/services/staff/signing.js); the
backend verifies with backend/staff/rules.py. Both run here on the same inputs (node 20 has the
same Web Crypto API as the browser) and must agree byte for byte."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from backend.staff.rules import canonical, signature
from tests.e2e.web.conftest import ROOT

CASES = [
    ("POST", "/api/v1/staff/scan", '{"payload":"abc:0:0123"}'),
    ("POST", "/api/v1/staff/schedules/12/call-next", ""),
    ("post", "/api/v1/staff/checkins?x=1&y=二", '{"payload":"张三","booking_id":7}'),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_browser_signature_matches_backend():
    script = """
    import { importSecret, signRequest } from './web/src/services/staff/signing.js'
    const cases = JSON.parse(process.argv[1])
    const key = await importSecret('s3cr3t-终端')  // non-extractable, as the console keeps it
    if (key.extractable) throw new Error('the key must not be extractable')
    const out = []
    for (const [method, path, body] of cases) {
      const fixed = { terminalCode: 'T0123456789ABCDEF', timestamp: 1767225600, nonce: 'n0nce_n0nce-0123' }
      out.push(await signRequest({ ...fixed, key, method, path, body }))
    }
    console.log(JSON.stringify(out))
    """
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(CASES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    for (method, path, body), headers in zip(CASES, json.loads(done.stdout)):
        expected = signature("s3cr3t-终端", canonical(method, path, "1767225600", "n0nce_n0nce-0123", body.encode()))
        assert headers == {
            "X-Terminal-Id": "T0123456789ABCDEF",
            "X-Timestamp": "1767225600",
            "X-Nonce": "n0nce_n0nce-0123",
            "X-Signature": expected,
        }
