"""Tokens: issuing one again is idempotent, but never re-labels another principal's token."""

from __future__ import annotations

import pytest

from api.auth import create_token, principal_for_token
from kb.errors import ValidationFailed


def test_reissuing_a_token_with_the_same_principal_is_idempotent(session):
    spec = {"name": "坐席", "role": "agent", "region_code": "620500"}
    assert create_token(session=session, token="fixed-token-1", **spec) == "fixed-token-1"
    assert create_token(session=session, token="fixed-token-1", **spec) == "fixed-token-1"
    assert principal_for_token(session=session, token="fixed-token-1").role == "agent"


def test_a_known_token_is_not_silently_kept_under_another_role(session):
    create_token(session=session, token="fixed-token-2", name="坐席", role="agent", region_code="620500")
    with pytest.raises(ValidationFailed, match="already issued"):
        create_token(session=session, token="fixed-token-2", name="管理员", role="admin")
    principal = principal_for_token(session=session, token="fixed-token-2")
    assert (principal.role, principal.region_code) == ("agent", "620500")
