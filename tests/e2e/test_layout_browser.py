"""Issue 13 part 12, in chromium at 1366×768 (the county office's laptop): the header stays on one row for
every role in both languages, and no table column is squeezed until its text breaks one character per line."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 1366, 768
ROLES = {  # demo user -> the pages that role opens every day
    "daili": ["/dashboard", "/tender/", "/expert-draw/", "/evaluation/", "/contracts/", "/tender/1", "/account/keys"],
    "zhongxin": ["/dashboard", "/tender/"],
    "caigou1": ["/dashboard", "/tender/", "/evaluation/", "/contracts/"],
    "caijian": ["/dashboard", "/tender/", "/expert-draw/", "/experts/", "/evaluation/complaints"],
    "gys1": ["/dashboard", "/tender/", "/evaluation/clarifications", "/contracts/"],
    "zj01": ["/dashboard", "/expert-draw/my", "/evaluation/"],
    "admin": ["/dashboard", "/experts/"],
}

# The header's items that wrapped: any item (navigation entry, clock, language, user) below the brand's bottom.
HEADER_WRAPPED = """() => {
  const brand = document.querySelector('.by-navbar .navbar-brand').getBoundingClientRect();
  return [...document.querySelectorAll('.by-navbar .nav-item')].filter((e) => e.offsetParent)
    .filter((e) => e.getBoundingClientRect().top >= brand.bottom - 2).map((e) => e.innerText.trim().slice(0, 20));
}"""
# Table cells whose text runs one character per line: narrower than two characters and several lines high.
SQUEEZED = """() => [...document.querySelectorAll('td, th')].filter((c) => c.offsetParent).map((c) => {
  const style = getComputedStyle(c), em = parseFloat(style.fontSize), text = c.innerText.trim();
  const inner = c.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const lines = c.clientHeight / (parseFloat(style.lineHeight) || em * 1.5);
  return {text: text.slice(0, 30), squeezed: text.length >= 3 && inner < 2.2 * em && lines >= 2.5};
}).filter((c) => c.squeezed).map((c) => c.text)"""


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("domcontentloaded")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_header_on_one_row_and_no_squeezed_column_at_1366(live_server, demo_login, browser_page, console_errors,
                                                          locale):
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    problems = []
    for username, paths in ROLES.items():
        page.context.clear_cookies()
        demo_login(username)
        _open(page, f"{live_server}/lang/{locale}")
        for path in paths:
            _open(page, f"{live_server}{path}")
            if wrapped := page.evaluate(HEADER_WRAPPED):
                problems.append(f"{username} {path}: the header wraps to a second row at {wrapped}")
            if squeezed := page.evaluate(SQUEEZED):
                problems.append(f"{username} {path}: columns one character wide: {squeezed[:5]}")
    assert not problems, "\n".join(problems)
    assert console_errors == []
