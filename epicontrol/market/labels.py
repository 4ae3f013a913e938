"""Bilingual labels (Chinese, then English) of the market's codes on the inspectors' pages.

Staff pages carry Chinese and English side by side instead of going through the catalogue;
the Chinese here is the one residents read in market/locale/zh/market.po. Pages show the label
and keep the code in a data-* attribute for tests and scripts.
"""

from __future__ import annotations

from collections.abc import Mapping

from epicontrol.market.models import (
    CaseStatus,
    ComplaintKind,
    Outcome,
    Product,
    SellerKind,
)

PRODUCT: Mapping[str, str] = {
    Product.N95: "N95口罩 N95",
    Product.KN95: "KN95口罩 KN95",
    Product.SURGICAL: "医用外科口罩 surgical",
    Product.DISPOSABLE: "一次性医用口罩 disposable",
}
SELLER_KIND: Mapping[str, str] = {
    SellerKind.PHARMACY: "药店 pharmacy",
    SellerKind.SUPERMARKET: "超市 supermarket",
    SellerKind.ONLINE_SHOP: "网店 online shop",
    SellerKind.STREET_STALL: "流动摊贩 street stall",
}
COMPLAINT: Mapping[str, str] = {
    ComplaintKind.COUNTERFEIT: "假冒伪劣 counterfeit",
    ComplaintKind.SUBSTANDARD: "质量不合格 substandard",
    ComplaintKind.HOARDING: "囤积居奇 hoarding",
    ComplaintKind.REFUSAL_TO_SELL: "拒绝销售 refusal to sell",
    ComplaintKind.FALSE_ADVERTISING: "虚假宣传 false advertising",
}
CASE_STATUS: Mapping[str, str] = {
    CaseStatus.OPEN: "待处理 open",
    CaseStatus.ASSIGNED: "已指派 assigned",
    CaseStatus.INSPECTED: "已检查 inspected",
    CaseStatus.CLOSED: "已结案 closed",
}
# Where a case came from (MarketCase.source; schemas.CaseOpenIn lists the same three).
CASE_SOURCE: Mapping[str, str] = {
    "price_flag": "价格预警 price flag",
    "complaint_flag": "投诉预警 complaint flag",
    "report": "举报 report",
}
OUTCOME: Mapping[str, str] = {
    Outcome.WARNING: "警告 warning",
    Outcome.FINE: "罚款 fine",
    Outcome.LICENCE_SUSPENDED: "吊销（暂停）营业执照 licence suspended",
    Outcome.REFERRED_TO_POLICE: "移送公安机关 referred to police",
    Outcome.UNFOUNDED: "经查不属实 unfounded",
}

VOCABULARIES: Mapping[str, Mapping[str, str]] = {
    "product": PRODUCT,
    "seller_kind": SELLER_KIND,
    "complaint": COMPLAINT,
    "case_status": CASE_STATUS,
    "case_source": CASE_SOURCE,
    "outcome": OUTCOME,
}


def label(vocabulary: str, code: str | None) -> str:
    """The code's label; a code not (or no longer) in the vocabulary shows as itself, so an
    old row never breaks a page. An unknown vocabulary is a template error (KeyError)."""
    if code is None:
        return "–"
    return VOCABULARIES[vocabulary].get(code, code)
