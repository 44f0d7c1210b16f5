// The price of a bid as the supplier enters it (开标一览表 + 分项报价表), turned into the opening
// summary's fields (crypto/FORMAT.md §7): price_fen, price_words, body_price_fen/_words, items,
// small_micro_share_percent.
// Pure functions, no DOM: bid.js wires them to the page; static/js/tender/test/ checks them in Node
// against core/money.py. Money is integer fen (never a float); quantities stay decimal strings.
// Messages: buildSummary and warnings take an optional translator t(key, chineseText, values) (as
// made by static/js/i18n.js from the page's data-messages); without one they speak Chinese.

const DIGITS = "零壹贰叁肆伍陆柒捌玖";
const SMALL_UNITS = ["", "拾", "佰", "仟"];
export const MAX_ITEMS = 1000;

/** `text` with its %(name)s placeholders filled from `values` (unknown names are left as they are). */
export function fill(text, values = {}) {
  return text.replace(/%\((\w+)\)s/g, (all, name) => (name in values ? String(values[name]) : all));
}

/** The default translator: the Chinese text itself. */
export function chinese(key, fallback, values = {}) {
  return fill(fallback, values);
}

/** The errors a supplier can cause: `code` is what tests switch on, `key` names the message text. */
export class PriceError extends Error {
  constructor(code, message, key = code) {
    super(message);
    this.code = code;
    this.key = key;
  }
}

/** "950,000.5" yuan -> fen as an integer, with no floating point; null if not an amount. */
export function yuanToFen(text) {
  const m = /^\s*(\d{1,13})(?:\.(\d{1,2}))?\s*$/.exec(String(text ?? "").replace(/[,，]/g, ""));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
}

/** 123456 fen -> "1,234.56". */
export function formatYuan(fen) {
  const yuan = Math.floor(fen / 100);
  return `${yuan.toLocaleString("en-US")}.${String(fen % 100).padStart(2, "0")}`;
}

function bigUnit(digits, position) {
  const end = digits.length - position;
  if (position === 8) return Number(digits.slice(0, end) || "0") ? "亿" : "";
  return Number(digits.slice(Math.max(0, end - 4), end)) ? "万" : "";
}

function integerText(yuan) {
  const digits = String(yuan);
  const out = [];
  let zeroRun = false;
  for (let index = 0; index < digits.length; index += 1) {
    const position = digits.length - 1 - index;
    const digit = Number(digits[index]);
    if (digit === 0) {
      zeroRun = out.length > 0;
    } else {
      if (zeroRun) {
        out.push("零");
        zeroRun = false;
      }
      out.push(DIGITS[digit] + SMALL_UNITS[position % 4]);
    }
    if (position % 4 === 0 && position > 0) out.push(bigUnit(digits, position));
  }
  return out.join("");
}

/** Integer fen in Chinese capital numerals, exactly as core.money.to_chinese_upper writes it. */
export function fenToUpper(fen) {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new PriceError("amount", "金额无效。");
  if (fen === 0) return "零元整";
  const yuan = Math.floor(fen / 100);
  const rest = fen % 100;
  const jiao = Math.floor(rest / 10);
  const fenDigit = rest % 10;
  let text = yuan ? `${integerText(yuan)}元` : "";
  if (jiao) text += `${DIGITS[jiao]}角`;
  else if (fenDigit && yuan) text += "零";
  if (fenDigit) text += `${DIGITS[fenDigit]}分`;
  return rest ? text : `${text}整`;
}

/** A positive quantity with at most 6 decimals, as the decimal string the summary keeps; else null. */
export function parseQuantity(text) {
  const s = String(text ?? "").trim().replace(/[,，]/g, "");
  const m = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(s);
  if (!m) return null;
  const frac = (m[2] || "").replace(/0+$/, "");
  const whole = m[1].replace(/^0+(?=\d)/, "");
  if (/^0*$/.test(whole + frac)) return null;
  return frac ? `${whole}.${frac}` : whole;
}

/** unit price × quantity in fen, half up (evaluation.price_correction.line_total), exact with BigInt. */
export function lineTotal(unitFen, quantity) {
  const [whole, frac = ""] = quantity.split(".");
  const scale = 10n ** BigInt(frac.length);
  const exact = BigInt(unitFen) * BigInt(whole + frac);
  const result = (exact * 2n + scale) / (2n * scale);
  return Number(result);
}

function failer(t) {
  return (code, key, fallback, values) => {
    throw new PriceError(code, t(key, fallback, values), key);
  };
}

/**
 * The opening summary from what the supplier typed. `form`:
 *   {bidder, lot, price, priceWords, bodyPrice, bodyPriceWords, delivery, remarks, smallMicroShare,
 *    items: [{name, quantity, unitPrice, total}]}   (amounts as yuan text, quantity as text)
 * `maxPriceFen`: the lot's ceiling. Empty item rows are skipped; refs are the row numbers.
 * Contradictions (大写 ≠ figures, lines ≠ total) are the supplier's to make: they are sealed as
 * typed and the committee corrects them (87号令 Art 59); `warnings(summary)` lists them.
 */
export function buildSummary(form, maxPriceFen, t = chinese) {
  const fail = failer(t);
  const price = yuanToFen(form.price);
  if (price === null) fail("price", "price_invalid", "请填写有效的投标报价（元，最多两位小数）。");
  if (Number.isFinite(maxPriceFen) && price > maxPriceFen) fail("price", "price_over_max", "投标报价超过最高限价。");
  const out = { bidder: form.bidder, lot: String(form.lot), price_fen: price, remarks: form.remarks || "" };
  const words = String(form.priceWords ?? "").trim();
  out.price_words = words || fenToUpper(price);
  const days = Number.parseInt(form.delivery, 10);
  if (Number.isInteger(days) && days >= 0 && /^\s*\d+\s*$/.test(String(form.delivery))) out.delivery_days = days;
  if (String(form.bodyPrice ?? "").trim()) {
    const body = yuanToFen(form.bodyPrice);
    if (body === null) fail("body_price", "body_price_invalid", "投标函报价无效（元，最多两位小数）。");
    out.body_price_fen = body;
  }
  const bodyWords = String(form.bodyPriceWords ?? "").trim();
  if (bodyWords) out.body_price_words = bodyWords;
  // A consortium's (or subcontract's) small/micro share of the contract (财库〔2020〕46号 Art 9), as declared.
  const share = String(form.smallMicroShare ?? "").trim();
  if (share) {
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(share) || Number(share) > 100) {
      fail("small_micro_share", "share_invalid", "小微企业合同份额应为 0–100 的数（最多两位小数）。");
    }
    out.small_micro_share_percent = share;
  }
  const items = [];
  for (const [index, row] of (form.items || []).entries()) {
    const blank = ![row.name, row.quantity, row.unitPrice, row.total].some((v) => String(v ?? "").trim());
    if (blank) continue;
    const n = index + 1;
    const quantity = parseQuantity(row.quantity);
    if (quantity === null) fail("item", "item_quantity", "分项报价第 %(n)s 行：数量应为正数（最多 6 位小数）。", { n });
    const unit = yuanToFen(row.unitPrice);
    if (unit === null) fail("item", "item_unit", "分项报价第 %(n)s 行：单价无效（元，最多两位小数）。", { n });
    const total = String(row.total ?? "").trim() ? yuanToFen(row.total) : lineTotal(unit, quantity);
    if (total === null) fail("item", "item_total", "分项报价第 %(n)s 行：合价无效（元，最多两位小数）。", { n });
    items.push({ ref: String(items.length + 1), name: String(row.name ?? "").trim().slice(0, 200), quantity,
      unit_price_fen: unit, total_fen: total });
  }
  if (items.length > MAX_ITEMS) fail("item", "too_many_items", "分项报价最多 %(n)s 行。", { n: MAX_ITEMS });
  if (items.length) out.items = items;
  return out;
}

/** What the committee would correct in this summary, in plain words, so the supplier sees it before sealing. */
export function warnings(summary, t = chinese) {
  const found = [];
  const words = summary.price_words;
  if (words && words !== fenToUpper(summary.price_fen)) {
    found.push(t("words_differ", "大写金额“%(words)s”与小写金额 %(figures)s 元不一致（评审时以大写金额为准）。",
      { words, figures: formatYuan(summary.price_fen) }));
  }
  if (summary.body_price_fen !== undefined && summary.body_price_fen !== summary.price_fen) {
    found.push(t("body_differs", "投标函报价 %(body)s 元与开标一览表不一致（评审时以开标一览表为准）。",
      { body: formatYuan(summary.body_price_fen) }));
  }
  const items = summary.items || [];
  for (const item of items) {
    const computed = lineTotal(item.unit_price_fen, item.quantity);
    if (computed !== item.total_fen) {
      found.push(t("line_differs", "分项第 %(ref)s 行：单价×数量＝%(computed)s 元，与合价 %(total)s 元不一致（评审时以单价为准）。",
        { ref: item.ref, computed: formatYuan(computed), total: formatYuan(item.total_fen) }));
    }
  }
  if (items.length) {
    const sum = items.reduce((n, i) => n + i.total_fen, 0);
    if (sum !== summary.price_fen) {
      found.push(t("sum_differs", "分项合价合计 %(sum)s 元与投标报价 %(price)s 元不一致（评审时以单价计算结果为准）。",
        { sum: formatYuan(sum), price: formatYuan(summary.price_fen) }));
    }
  }
  return found;
}
