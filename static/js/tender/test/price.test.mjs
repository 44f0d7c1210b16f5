// `node --test static/js/tender/test/` (run by tests/tender/test_price_js.py, which also hands in
// vectors written by core/money.py through PRICE_VECTORS so both languages write the same 大写).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { buildSummary, fenToUpper, fill, lineTotal, parseQuantity, warnings, yuanToFen } from "../price.js";

test("amounts in words as on contracts", () => {
  assert.equal(fenToUpper(0), "零元整");
  assert.equal(fenToUpper(5), "伍分");
  assert.equal(fenToUpper(105), "壹元零伍分");
  assert.equal(fenToUpper(123456789), "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分");
  assert.equal(fenToUpper(1001000000), "壹仟零壹万元整");
  assert.throws(() => fenToUpper(-1), { code: "amount" });
});

test("the same words as core.money for every vector", { skip: !process.env.PRICE_VECTORS }, () => {
  const vectors = JSON.parse(readFileSync(process.env.PRICE_VECTORS, "utf-8"));
  for (const [fen, words] of vectors.upper) assert.equal(fenToUpper(fen), words, `fen ${fen}`);
  for (const [unit, quantity, total] of vectors.line_total) assert.equal(lineTotal(unit, quantity), total, `${unit}×${quantity}`);
});

test("figures, quantities and line totals without floats", () => {
  assert.equal(yuanToFen("1,234.5"), 123450);
  assert.equal(yuanToFen("1.234"), null);
  assert.equal(parseQuantity("2"), "2");
  assert.equal(parseQuantity("001.500"), "1.5");
  for (const bad of ["0", "0.000", "-1", "1e3", "1.1234567", ""]) assert.equal(parseQuantity(bad), null, bad);
  assert.equal(lineTotal(333, "0.5"), 167); // 166.5 fen, half up
  assert.equal(lineTotal(123456789, "1000000"), 123456789000000);
});

const FORM = {
  bidder: "某某科技有限公司", lot: "1", price: "91,500", priceWords: "", delivery: "30", remarks: "质保三年",
  bodyPrice: "", bodyPriceWords: "",
  items: [{ name: "交互式智能平板", quantity: "10", unitPrice: "8500", total: "" },
    { name: "", quantity: "", unitPrice: "", total: "" },
    { name: "安装调试", quantity: "1", unitPrice: "6500.00", total: "6500" }],
};

test("the summary from the form: 大写 filled in, blank rows skipped, refs numbered", () => {
  const s = buildSummary(FORM, 95_000_00);
  assert.deepEqual(s, {
    bidder: "某某科技有限公司", lot: "1", price_fen: 91_500_00, remarks: "质保三年", price_words: "玖万壹仟伍佰元整",
    delivery_days: 30,
    items: [{ ref: "1", name: "交互式智能平板", quantity: "10", unit_price_fen: 8_500_00, total_fen: 85_000_00 },
      { ref: "2", name: "安装调试", quantity: "1", unit_price_fen: 6_500_00, total_fen: 6_500_00 }],
  });
  assert.deepEqual(warnings(s), []);
});

test("contradictions are sealed as typed and listed for the supplier", () => {
  const s = buildSummary({ ...FORM, priceWords: "玖万壹仟元整", bodyPrice: "90000", bodyPriceWords: "玖万元整",
    items: [{ name: "平板", quantity: "10", unitPrice: "8500", total: "86000" }] }, 95_000_00);
  assert.equal(s.price_words, "玖万壹仟元整");
  assert.equal(s.body_price_fen, 90_000_00);
  assert.equal(s.body_price_words, "玖万元整");
  assert.equal(s.items[0].total_fen, 86_000_00);
  assert.equal(warnings(s).length, 4);
});

test("what the supplier cannot seal", () => {
  assert.throws(() => buildSummary({ ...FORM, price: "abc" }, 1), { code: "price" });
  assert.throws(() => buildSummary(FORM, 90_000_00), { code: "price", message: "投标报价超过最高限价。" });
  assert.throws(() => buildSummary({ ...FORM, bodyPrice: "x" }, 95_000_00), { code: "body_price" });
  assert.throws(() => buildSummary({ ...FORM, items: [{ name: "a", quantity: "0", unitPrice: "1" }] }, 95_000_00),
    { code: "item", message: "分项报价第 1 行：数量应为正数（最多 6 位小数）。" });
  assert.throws(() => buildSummary({ ...FORM, items: [{ name: "a", quantity: "1", unitPrice: "1.001" }] }, 95_000_00),
    { code: "item" });
});

test("a consortium's small/micro share is sealed as a decimal string, or refused", () => {
  assert.equal(buildSummary({ ...FORM, smallMicroShare: " 35.5 " }, 95_000_00).small_micro_share_percent, "35.5");
  assert.equal(buildSummary(FORM, 95_000_00).small_micro_share_percent, undefined);
  for (const bad of ["101", "abc", "-1", "3.555"]) {
    assert.throws(() => buildSummary({ ...FORM, smallMicroShare: bad }, 95_000_00), { code: "small_micro_share" });
  }
});

test("messages: Chinese by default, the page's text through a translator", () => {
  const s = buildSummary({ ...FORM, priceWords: "玖万壹仟元整", bodyPrice: "90000",
    items: [{ name: "平板", quantity: "10", unitPrice: "8500", total: "86000" }] }, 95_000_00);
  assert.deepEqual(warnings(s), [
    "大写金额“玖万壹仟元整”与小写金额 91,500.00 元不一致（评审时以大写金额为准）。",
    "投标函报价 90,000.00 元与开标一览表不一致（评审时以开标一览表为准）。",
    "分项第 1 行：单价×数量＝85,000.00 元，与合价 86,000.00 元不一致（评审时以单价为准）。",
    "分项合价合计 86,000.00 元与投标报价 91,500.00 元不一致（评审时以单价计算结果为准）。",
  ]);
  const english = {
    words_differ: "The amount in words \u201c%(words)s\u201d differs from the figures %(figures)s yuan.",
    line_differs: "Line %(ref)s: %(computed)s vs %(total)s.", item_unit: "Line %(n)s: invalid unit price.",
  };
  const t = (key, fallback, values) => fill(english[key] || fallback, values);
  const found = warnings(s, t);
  assert.equal(found[0], "The amount in words \u201c玖万壹仟元整\u201d differs from the figures 91,500.00 yuan.");
  assert.equal(found[2], "Line 1: 85,000.00 vs 86,000.00.");
  assert.throws(() => buildSummary({ ...FORM, items: [{ name: "a", quantity: "1", unitPrice: "x" }] }, 95_000_00, t),
    { code: "item", key: "item_unit", message: "Line 1: invalid unit price." });
  assert.equal(fill("%(a)s and %(b)s", { a: "%(b)s" }), "%(b)s and %(b)s"); // one pass, unknown names kept
});

if (process.env.PRICE_FORM_OUT) {
  // For tests/tender/test_price_js.py: the summary this form seals, read back by the Python side.
  test("write the contradicting summary for the Python side", async () => {
    const { writeFileSync } = await import("node:fs");
    const s = buildSummary({ ...FORM, price: "91500", priceWords: "玖万壹仟元整",
      items: [{ name: "交互式智能平板", quantity: "10", unitPrice: "8500", total: "" },
        { name: "安装调试", quantity: "1", unitPrice: "650", total: "6500" }] }, 95_000_00);
    writeFileSync(process.env.PRICE_FORM_OUT, JSON.stringify(s));
  });
}
