"""Federation: the SQL form of the rules (federated_condition, used by paged listings) keeps
exactly the entries the Python form (resolve) keeps, for any mix of tiers, matters and statuses."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb import federation
from kb import service as kb_service
from tests import factories

REGIONS = [None, "620000", "620500", "620503", "620100", "620102"]
ASKERS = ["620503", "620500", "620102", "620000", "620100"]
_example = itertools.count()

ENTRY = st.tuples(
    st.sampled_from(REGIONS),
    st.sampled_from([None, "m1", "m2"]),
    st.sampled_from([None, "phone", "materials"]),
    st.sampled_from(["published", "published", "draft", "retired"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(ENTRY, max_size=10), asker=st.sampled_from(ASKERS))
def test_sql_and_python_federation_keep_the_same_entries(session, specs, asker):
    n = next(_example)
    src = factories.source(session, code=f"fed-{n}")
    entries = [
        factories.entry(
            session,
            source_code=src.code,
            region_code=region,
            matter_key=f"{n}:{mk}" if mk else None,  # matters of this example only
            aspect=aspect,
            status=status,
        )
        for region, mk, aspect, status in specs
    ]
    chain = kb_service.region_chain(session=session, code=asker)
    published = [e for e in entries if e.status == "published"]
    expected = {e.id for e in federation.resolve(published, chain)}
    items, total = kb_service.get_all(
        session=session, federated_for=chain, status="published", source_code=src.code, limit=200
    )
    assert {e.id for e in items} == expected and total == len(expected)
    # and the rules themselves: nothing of another region, one tier per matter and aspect
    assert all(e.region_code is None or e.region_code in chain for e in items)
    tiers: dict[tuple[str, str | None], set[str | None]] = {}
    for e in items:
        if e.matter_key:
            tiers.setdefault((e.matter_key, e.aspect), set()).add(e.region_code)
    assert all(len(regions) == 1 for regions in tiers.values())  # equal entries of one tier may tie


def test_the_most_specific_tier_wins_and_other_cities_never_appear(session):
    src = factories.source(session, code="fed-fixed")
    common = {"source_code": src.code, "matter_key": "fed-fixed:居住证", "aspect": "materials"}
    national = factories.entry(session, region_code=None, **common)
    province = factories.entry(session, region_code="620000", **common)
    city = factories.entry(session, region_code="620500", **common)
    county = factories.entry(session, region_code="620503", **common)
    lanzhou = factories.entry(session, region_code="620100", **common)
    factories.entry(session, region_code="620502", **common)  # a sibling county: never for 620503

    def winner(asker):
        chain = kb_service.region_chain(session=session, code=asker)
        items, _ = kb_service.get_all(
            session=session, federated_for=chain, status="published", source_code=src.code
        )
        return [e.id for e in items]

    assert winner("620503") == [county.id]
    assert winner("620500") == [city.id]
    assert winner("620000") == [province.id]
    assert winner("620102") == [lanzhou.id]  # 城关区 is in 兰州: the city above it wins
    assert winner("620100") == [lanzhou.id]
    kb_service.retire(session=session, entry_id=county.id)
    assert winner("620503") == [city.id]  # a retired override stops shadowing
    assert national.id not in winner("620503")
