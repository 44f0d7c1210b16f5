// Page text for scripts, in the page's language. A template puts the translated strings on an element
// as data-messages (JSON, ASCII keys: {{ {"key": _("中文")}|tojson|forceescape }}); a script gets
// t = messages(element) and calls t("key", "中文", {n: 3}): the page's text for `key`, else the Chinese
// default, with %(name)s filled in from `values`.
export function messages(element) {
  let table = {};
  try {
    table = JSON.parse((element && element.dataset.messages) || "{}");
  } catch {
    table = {};
  }
  return (key, fallback, values = {}) =>
    (table[key] || fallback).replace(/%\((\w+)\)s/g, (all, name) => (name in values ? String(values[name]) : all));
}
