"""After-commit actions (core/after_commit.py): drafting a contract sends the winner "合同待签署" the same
way through the page and through the API, and a refused draft sends nothing."""

from __future__ import annotations

import pytest
from tests_helpers import login

TERMS = {"performance_place": "泰顺县人民医院", "payment": "验收合格后30日内支付合同金额的95%，余款一年后付清",
         "acceptance": "按招标文件技术要求逐项验收", "warranty": "整机保修三年"}


@pytest.fixture
def winner_messages(app, room, published):
    """A Socket.IO client of the winner on /messages; returns a function giving the titles received since."""
    from core.extensions import socketio
    from core.messages import EVENT, NAMESPACE
    from evaluation.contracts import winner_org_id

    winner = next(u for u in room.suppliers if u.org_id == winner_org_id(published))
    with app.app_context():
        flask_client = app.test_client()
        assert login(flask_client, winner).status_code == 302
    with app.app_context():
        sio = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=flask_client)
    assert sio.is_connected(NAMESPACE)

    def titles() -> list[str]:
        return [r["args"][0]["title"] for r in sio.get_received(NAMESPACE) if r["name"] == EVENT]

    yield titles
    sio.disconnect(NAMESPACE)


@pytest.mark.parametrize("path", ["page", "api"])
def test_drafting_a_contract_asks_the_winner_to_sign_whichever_way(room, published, client, winner_messages,
                                                                  path):
    award = published
    login(client, room.purchaser)
    winner_messages()  # what the sign-in sent
    if path == "page":
        refused = client.post(f"/contracts/award/{award.id}/draft", data={"payment": "验收后付款"})
        assert refused.status_code == 200 and "请填写履约地点" in refused.get_data(as_text=True)
    else:
        refused = client.post(f"/api/v1/contracts/award/{award.id}", json={"terms": {"payment": "x"}})
        assert refused.status_code in (409, 422)
    assert "合同待签署" not in winner_messages()  # rolled back: nothing sent
    if path == "page":
        assert client.post(f"/contracts/award/{award.id}/draft", data=TERMS).status_code == 302
    else:
        r = client.post(f"/api/v1/contracts/award/{award.id}", json={"terms": TERMS})
        assert r.status_code == 201, r.get_json()
    assert winner_messages().count("合同待签署") == 1
