"""The SMS / voice / e-mail inviting a drawn expert links under PUBLIC_BASE_URL, never http://localhost."""


def test_invitation_sms_links_under_the_public_base_url(app, monkeypatch, world, make_expert, make_request):
    from core.db import db
    from expert_draw import service, tasks
    from expert_draw.notify import LogChannel

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://zfcg.example.gov.cn")
    for _ in range(7):
        make_expert(["B01"])
    req = make_request(counts=(("B01", 5, 1),))
    draw = service.commit_draw(world.users["agency"], req)
    ids = service.run_draw(draw, world.users["supervisor"], "20261127")
    db.session.commit()
    LogChannel.sent.clear()
    tasks.notify(ids)
    codes = {i.reply_code for i in req.invitations if i.id in ids}
    assert {m.text.split("：")[-1].split("（")[0] for m in LogChannel.sent} == {
        f"https://zfcg.example.gov.cn/expert-draw/reply/{c}" for c in codes}
    assert "localhost" not in " ".join(m.text for m in LogChannel.sent)
