"""Rows of a supplier library file as the import reads them (the import and the activation tests)."""

from __future__ import annotations

import csv
import io

HEADER = ["单位名称", "统一社会信用代码", "区划代码", "法定代表人", "地址", "企业规模", "联系人", "联系电话",
          "开户银行",
          "银行账户名称", "银行账号", "营业执照有效期至", "资质名称", "资质证书编号", "资质有效期至"]


def row(n: int, code_for, **changes) -> list[str]:
    values = {"单位名称": f"导入公司{n}", "统一社会信用代码": code_for("330329", f"MA2J{n:04d}"), "区划代码": "330329",
              "法定代表人": f"法人{n}", "地址": f"泰顺县{n}号", "企业规模": "小型", "联系人": f"联系人{n}",
              "联系电话": f"1390577{n:04d}", "开户银行": "泰顺农商银行", "银行账户名称": f"导入公司{n}",
              "银行账号": f"20100012345{n:04d}", "营业执照有效期至": "", "资质名称": "", "资质证书编号": "",
              "资质有效期至": ""}
    values.update(changes)
    return [values[h] for h in HEADER]


def as_csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode(encoding)
