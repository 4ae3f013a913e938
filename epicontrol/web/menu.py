"""The start page's links: every page a role may open, from the one policy table."""

from __future__ import annotations

from dataclasses import dataclass

from epicontrol.core.auth import Principal
from epicontrol.core.policy import Permission, Role, is_allowed


@dataclass(frozen=True, slots=True)
class Link:
    """A page and the permission (or role) that opens it."""

    path: str
    label: str
    permission: Permission | None = None
    role: Role | None = None


# Order: what each role does most often first.
LINKS: tuple[Link, ...] = (
    Link("/risk-status", "我的健康码 My risk status", Permission.RISK_APPEAL),
    Link("/daily-report", "每日健康报告 Daily health report", Permission.REPORT_SUBMIT),
    Link("/self-check", "发热自查 Fever self-check"),
    Link("/public", "公众服务 Public services"),
    Link("/public/masks", "口罩预约 Face masks", Permission.MASK_ORDER),
    Link("/public/me/travel", "我的行程 My travel record", Permission.REPORT_SUBMIT),
    Link("/public/me/crossed-paths", "同行程查询 Did I cross paths?", Permission.REPORT_SUBMIT),
    Link("/public/consult", "在线问诊 Online consultation", Permission.CONSULT_BOOK),
    Link("/public/me/access-log", "谁查看了我的信息 Who accessed me", Permission.ACCESS_LOG_OWN),
    Link("/report", "举报 Report a concern"),
    Link("/checkpoint", "卡口扫码 Checkpoint", Permission.CHECKPOINT_OPERATE),
    Link("/tasks", "网格任务 Grid tasks", Permission.TASK_READ),
    Link("/surveys", "填写调查 Surveys to fill", Permission.SURVEY_RESPOND),
    Link("/surveys", "统计调查 Surveys and results", Permission.SURVEY_READ),
    Link("/monitoring", "健康监测 People under observation", Permission.MONITORING_READ),
    Link("/estates", "小区健康登记 Housing estates", Permission.ESTATE_READ),
    Link("/fever-reports", "发热自查记录 Fever self-checks", Permission.MONITORING_READ),
    Link("/tips", "举报处理 Public reports", Permission.TIP_TRIAGE),
    Link("/risk-appeals", "健康码申诉 Risk-status appeals", Permission.RISK_REVIEW),
    Link("/cases", "病例一览 Case line list", Permission.CASE_READ),
    Link("/workbench/cases", "流调工作台 Tracing workbench", Permission.CONTACT_READ),
    Link("/linkage/review", "记录关联审核 Record linkage review", Permission.LINKAGE_REVIEW),
    Link("/fever-clinic", "发热门诊登记 Fever-clinic registration", Permission.CLINIC_REGISTER),
    Link("/dashboard", "指挥看板 Command dashboard", Permission.DASHBOARD_READ),
    Link("/articles", "发布与辟谣 Releases, rumors, facts", Permission.ARTICLE_WRITE),
    Link("/articles?state=in_review", "待审稿件 Articles to review", Permission.ARTICLE_PUBLISH),
    Link("/itineraries", "病例轨迹 Case itineraries", Permission.ITINERARY_APPROVE),
    Link("/public/consult/manage", "在线问诊 Consultations", Permission.CONSULT_MANAGE),
    Link("/supplies/rounds", "口罩投放 Mask rounds", Permission.MASK_MANAGE),
    Link("/supplies/pickup", "口罩取货 Mask pickup", Permission.MASK_DISPENSE),
    Link("/exchange/stats", "数据交换统计 Exchange statistics", Permission.EXCHANGE_STATS),
    Link("/exchange/approvals", "数据申请审批 Data-request approvals", Permission.GRANT_DECIDE),
    Link("/exchange/grants", "数据申请 Data requests", Permission.GRANT_REQUEST),
    Link("/exchange/keys", "数据交换密钥 Exchange API keys", Permission.GRANT_REQUEST),
    Link("/enterprise", "复工复产申请 Resumption of work", Permission.ENTERPRISE_APPLY),
    Link("/enterprises/review", "复工审核 Resumption review", Permission.ENTERPRISE_REVIEW),
    Link("/public/me/approvals", "不见面审批 Online approvals", Permission.APPROVAL_APPLY),
    Link("/approvals/queue", "审批待办 Approval queue", Permission.APPROVAL_REVIEW),
    Link("/public/market/report", "口罩举报 Report a mask seller", Permission.MARKET_REPORT),
    Link("/public/market/mine", "我的市场举报 My market reports", Permission.MARKET_REPORT),
    Link("/market", "口罩市场监管 Mask market monitoring", Permission.MARKET_INSPECT),
    Link("/approvals/catalogue", "审批事项目录 Approval catalogue", Permission.APPROVAL_CATALOGUE),
    Link("/labour/jobs", "附近招工 Jobs near me", Permission.LABOUR_APPLY),
    Link("/labour/employer", "用工需求 Labour needs", Permission.LABOUR_POST),
    Link("/labour/board", "用工对接 Labour matching", Permission.LABOUR_MATCH),
)


def links_for(principal: Principal) -> list[Link]:
    """The links `principal` may follow (the pages check again: this only hides dead ends)."""
    return [link for link in LINKS if _opens(link, principal)]


def _opens(link: Link, principal: Principal) -> bool:
    if link.role is not None:
        return principal.role == link.role
    if link.permission is None:
        return True
    return is_allowed(principal.role, link.permission)
