"""Property (hypothesis): any sequence of actions by any role follows the transition table, and a
refused action leaves the stored ticket exactly as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tickets.conftest import new_ticket, step
from tests.tickets.test_lifecycle import snapshot
from tickets import service
from tickets.errors import TicketError, TransitionNotAllowed

ROLES = ("agent", "manager", "unit_user", "admin")
# a move is either any action by any role (mostly refused) or the k-th allowed action by a role that may take it
ANY = st.tuples(st.just("any"), st.sampled_from(sorted(service.TRANSITIONS)), st.sampled_from(ROLES))
ALLOWED = st.tuples(st.just("allowed"), st.integers(0, 16), st.just(""))
MOVES = st.lists(st.one_of(ANY, ALLOWED, ALLOWED), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
def test_property_random_actions_follow_the_table_and_refusals_change_nothing(session, units, clock, moves):
    unit = next(iter(units.values()))
    master = new_ticket(session)
    t = new_ticket(session)
    for kind, what, who in moves:
        before = snapshot(session, t)
        if kind == "any":
            action, role = what, who
        else:
            allowed = service.allowed_actions(before["status"])
            if not allowed:
                continue
            # prefer steps that move the ticket on, so walks reach replied, callback and reopened
            forward = [a for a in allowed if service.TRANSITIONS[a].target not in (None, "merged")] or allowed
            action = forward[what % len(forward)]
            role = sorted(service.TRANSITIONS[action].roles - {"system"})[0]
        t = session.get(service.Ticket, t.id)
        data = {"unit_id": unit.id, "reason": "理由", "reply": "答复", "days": 1, "master_id": master.id}
        try:
            t = step(session, t, action, role=role, as_unit=unit.id if role == "unit_user" else None, **data)
        except TransitionNotAllowed:
            assert action not in service.allowed_actions(before["status"])
            assert snapshot(session, t) == before
            continue
        except TicketError:
            assert snapshot(session, t) == before
            continue
        rule = service.TRANSITIONS[action]
        assert before["status"] in rule.sources and role in rule.roles
        assert t.status == (rule.target or before["status"])
        assert t.version == before["version"] + 1
        assert t.events[-1].action == action
