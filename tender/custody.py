"""Custody policies that no single party can satisfy (DESIGN.md §4, issue 10).

A bid opens with k shares. The promise "nobody, the platform included, opens a bid before the opening
time" holds only if no one party controls k shares by itself, so every custodian is counted with the
party that controls its key:

- the platform's time vault belongs to the **platform** (whoever runs the instance folder holds it), and
  so does any custodian who works for the platform operator (an org of kind `platform`);
- a human custodian belongs to **their own organisation** (two staff of one agency are one party);
  a user without an organisation is a party of their own;
- a **time-lock** custodian (kind `tlock`, a share wrapped to a future round of a public randomness
  beacon) is a party of its own when the beacon is independent of the platform (the public drand
  network); a local beacon run by the platform itself belongs to the platform.

A policy where one party holds k or more shares is refused at creation, edit and publication
(`custody_single_party`). A region rule (`custody_require_timelock`, national default 0) may in
addition require a time-lock custodian in every tender of the region (`custody_timelock_required`).

Plugging in a new kind of custodian means giving it a `Holder` (`holders_of_project` /
`spec_holders`); the rule itself does not change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from accounts.models import OrgKind, User
from tender.rules import rule

PLATFORM = "platform"
KIND_USER, KIND_VAULT, KIND_TLOCK = "user", "vault", "tlock"
REQUIRE_TIMELOCK_RULE = "custody_require_timelock"


@dataclass(frozen=True)
class Holder:
    """One custodian as the rule sees it: its kind and the party that controls its key."""

    custodian_id: str
    kind: str
    party: str  # "platform", "org:<id>", "user:<id>", "beacon:<chain>"
    party_name: str


@dataclass(frozen=True)
class CustodyProblem:
    """Why a policy is refused: a stable code and the Chinese sentence shown on the page."""

    code: str
    message: str


def vault_holder(custodian_id: str = "vault") -> Holder:
    return Holder(custodian_id, KIND_VAULT, PLATFORM, "平台（含时间保险库）")


def user_holder(user: User, custodian_id: str | None = None) -> Holder:
    """A human custodian counts with their organisation (the platform's own staff with the platform)."""
    cid = custodian_id or f"u{user.id}"
    org = user.org
    if org is None:
        return Holder(cid, KIND_USER, f"user:{user.id}", user.name)
    if org.kind == OrgKind.PLATFORM:
        return Holder(cid, KIND_USER, PLATFORM, "平台（含时间保险库）")
    return Holder(cid, KIND_USER, f"org:{org.id}", org.name)


def timelock_holder(custodian_id: str, chain: str, *, independent: bool) -> Holder:
    """A time-lock custodian: its own party on an independent beacon, the platform's on a local one."""
    if not independent:
        return Holder(custodian_id, KIND_TLOCK, PLATFORM, "平台（含本机时间锁信标）")
    return Holder(custodian_id, KIND_TLOCK, f"beacon:{chain}", "公共随机信标时间锁")


def spec_holders(custodians: Sequence[User], include_vault: bool, extra: Iterable[Holder] = ()) -> list[Holder]:
    """The holders of a project input (create / edit): its users, the vault, any other kind given."""
    holders = [user_holder(user) for user in custodians]
    if include_vault:
        holders.append(vault_holder())
    return [*holders, *extra]


def holders_of_project(project) -> list[Holder]:
    """The holders of a stored project's custodians (publication re-checks with today's orgs)."""
    holders = []
    for member in project.custodians:
        kind = getattr(member, "kind", None)
        if kind == KIND_TLOCK:
            holders.append(timelock_holder(member.custodian_id, str(getattr(member, "chain", "")),
                                           independent=bool(getattr(member, "independent", False))))
        elif member.user_id is None:
            holders.append(vault_holder(member.custodian_id))
        else:
            holders.append(user_holder(member.user, member.custodian_id))
    return holders


def requires_timelock(region_code: str | None) -> bool:
    return bool(rule(region_code, REQUIRE_TIMELOCK_RULE))


def custody_problem(holders: Sequence[Holder], k: int, *, require_timelock: bool = False) -> CustodyProblem | None:
    """None if no single party reaches k (and a time-lock custodian is there when required)."""
    if require_timelock and not any(h.kind == KIND_TLOCK for h in holders):
        return CustodyProblem("custody_timelock_required",
                              "本地区规定每个项目的密钥托管必须包含公共时间锁保管人（开标时间到达前任何人都无法解开"
                              "其份额），请添加后再保存。")
    if not holders:
        return None
    counts = Counter(h.party for h in holders)
    party, held = counts.most_common(1)[0]
    if held < k:
        return None
    name = next(h.party_name for h in holders if h.party == party)
    return CustodyProblem("custody_single_party",
                          f"密钥托管策略不安全：{name}一方即持有 {held} 份密钥份额，达到开启门限 {k}，"
                          "可以不经其他任何一方在开标前解密投标文件。请增加其他单位的保管人或提高门限，"
                          "使任何一方都不能单独开启。")


def check_custody(region_code: str | None, holders: Sequence[Holder], k: int) -> CustodyProblem | None:
    """The region's custody rule applied to a policy's holders and threshold."""
    return custody_problem(holders, k, require_timelock=requires_timelock(region_code))
