"""The agreement (调解协议书) and the case file (卷宗) as DOCX, in the standard layout: title,
number, parties, the dispute, the terms, signatures; the case file adds the application, the
minutes of every session and the follow-up record."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from .models import Dispute, PartyRole

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document() -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "SimSun")
    return doc


def _title(doc: Document, text: str) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = True
    run.font.size = Pt(18)


def party_lines(dispute: Dispute, masked) -> list[str]:
    """One line per party: role, name and the (masked as the reader may see) ID number and phone."""
    lines = []
    for p in dispute.parties.all():
        role = PartyRole(p.role).label
        id_number, phone = masked(p)
        parts = [f"{role}:{p.display_name}"]
        if id_number:
            parts.append(_("身份证号:%(n)s") % {"n": id_number})
        if phone:
            parts.append(_("电话:%(p)s") % {"p": phone})
        lines.append(",".join(parts))
    return lines


def _head(doc: Document, dispute: Dispute, masked) -> None:
    number = doc.add_paragraph(_("编号:%(number)s") % {"number": dispute.number})
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for line in party_lines(dispute, masked):
        doc.add_paragraph(line)
    doc.add_paragraph(
        _("纠纷类型:%(kind)s;调解组织:%(org)s")
        % {"kind": dispute.get_kind_display(), "org": dispute.organisation.name if dispute.organisation else "—"}
    )
    doc.add_heading(_("纠纷主要事实、争议事项"), level=2)
    doc.add_paragraph(dispute.summary)


def agreement_docx(dispute: Dispute, masked) -> bytes:
    agreement = dispute.agreement
    doc = _document()
    _title(doc, _("人民调解协议书"))
    _head(doc, dispute, masked)
    doc.add_heading(_("经调解,自愿达成如下协议"), level=2)
    for line in agreement.terms.splitlines():
        if line.strip():
            doc.add_paragraph(line.strip())
    doc.add_paragraph(
        _(
            "履行协议的方式、地点、期限以协议内容为准。本协议自各方当事人签名、调解员签名并加盖人民调解委员会印章之日起生效。"
        )
    )
    if agreement.court_confirmed is not None:
        doc.add_paragraph(
            _("司法确认:%(v)s") % {"v": _("已经人民法院确认") if agreement.court_confirmed else _("未经司法确认")}
        )
    doc.add_paragraph("")
    for p in dispute.parties.all():
        doc.add_paragraph(_("%(role)s(签名):%(name)s") % {"role": PartyRole(p.role).label, "name": p.display_name})
    mediator = dispute.mediator.get_full_name() or dispute.mediator.username if dispute.mediator else ""
    doc.add_paragraph(_("调解员(签名):%(name)s") % {"name": mediator})
    doc.add_paragraph(_("%(org)s(印章)") % {"org": dispute.organisation.name if dispute.organisation else ""})
    signed = doc.add_paragraph(f"{agreement.signed_at:%Y}年{agreement.signed_at:%m}月{agreement.signed_at:%d}日")
    signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _save(doc)


def case_file_docx(dispute: Dispute, masked) -> bytes:
    doc = _document()
    _title(doc, _("人民调解卷宗"))
    _head(doc, dispute, masked)
    doc.add_heading(_("调解申请"), level=2)
    doc.add_paragraph(
        _("登记时间:%(at)s;来源:%(source)s")
        % {"at": f"{timezone.localtime(dispute.created_at):%Y-%m-%d %H:%M}", "source": dispute.get_source_display()}
    )
    doc.add_heading(_("调解笔录"), level=2)
    for s in dispute.sessions.all():
        doc.add_paragraph(
            _("时间:%(at)s;地点:%(place)s;参加人员:%(who)s")
            % {"at": f"{timezone.localtime(s.held_at):%Y-%m-%d %H:%M}", "place": s.place, "who": s.attendees}
        )
        doc.add_paragraph(s.notes)
    agreement = getattr(dispute, "agreement", None)
    if agreement is not None:
        doc.add_heading(_("调解协议"), level=2)
        doc.add_paragraph(agreement.terms)
    doc.add_heading(_("回访记录"), level=2)
    for f in dispute.follow_ups.all():
        doc.add_paragraph(f"{timezone.localtime(f.at):%Y-%m-%d} {f.note}({_('满意') if f.satisfied else _('不满意')})")
    return _save(doc)


def _save(doc: Document) -> bytes:
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()
