"""Write the small hand-made district used by the ingest tests into ``district/``.

One export per platform, in the encodings, sheet names, headers, activity names and time formats of
``ingest/mappings/*.yaml``. Run it again after changing a fixture: ``python make_fixtures.py``.
The numbers the tests expect are written next to each file's rows below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import xlsxwriter

HERE = Path(__file__).resolve().parent
OUT = HERE / "district"


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def reference() -> None:
    folder = OUT / "reference"
    write_csv(folder / "departments.csv", ["单位编码", "单位名称", "单位类型"], [
        ["D01", "区发展和改革局", "区直部门"],
        ["D02", "区市场监督管理局", "区直部门"],
        ["D03", "区民政局", "区直部门"],
        ["S01", "新华街道办事处", "街道"],
    ], "utf-8")
    write_csv(folder / "items.csv", ["事项编码", "事项名称", "事项类型", "实施单位编码", "法定时限", "承诺时限", "时限单位",
                                     "收费标准", "收费依据", "申请材料", "公示时限", "是否公开", "办理平台"], [
        ["I01", "企业投资项目备案", "非行政许可", "D01", "20", "5", "工作日", "0", "", "申请表；项目说明", "3", "是", "qyzx；wsdt"],
        ["I02", "食品经营许可", "行政许可", "D02", "20", "10", "工作日", "0", "", "申请表；营业执照；场所证明", "3", "是",
         "qyzx；mszx；sqzx；wsdt；xtbg"],
        ["I03", "最低生活保障审核", "公共服务", "D03", "30", "20", "工作日", "0", "", "申请表；收入证明", "", "是", "mszx；sqzx"],
        ["P01", "食品安全违法行为处罚", "行政处罚", "D02", "90", "90", "自然日", "0", "", "", "3", "是", "zfba"],
    ], "utf-8")
    write_csv(folder / "officers.csv", ["人员编号", "姓名", "单位编码", "执法证号", "证件有效期起", "证件有效期止"], [
        ["O01", "王强", "D02", "ZF2301001", "2025-01-01", "2026-12-31"],
        ["O02", "李娜", "D02", "ZF2301002", "2025-01-01", "2026-12-31"],
        ["O03", "赵敏", "D02", "", "", ""],
    ], "utf-8")
    write_csv(folder / "discretion.csv", ["违法行为代码", "裁量档次", "处罚事项编码", "违法情形", "罚款下限", "罚款上限"], [
        ["V01", "一般", "P01", "未按规定公示许可证", "500", "2000"],
        ["V01", "较重", "P01", "未按规定公示许可证且拒不改正", "2000", "5000"],
    ], "utf-8")


def enterprise_centre() -> None:
    """qyzx: GBK. 3 cases, 9 events; Q0002 has ACCEPT and REVIEW at the same minute."""
    write_csv(OUT / "qyzx_cases.csv", ["办件编号", "事项编码", "承办单位编码", "窗口号", "申请人类型", "申请人名称", "证件号码",
                                       "申请时间", "受理时间", "办结时间", "办理结果", "收费金额", "票据号", "提交材料"], [
        ["Q0001", "I02", "D02", "W03", "法人", "哈尔滨某某食品有限公司", "91230108MA1B2C3D4X", "2026-03-02 09:15:00",
         "2026-03-02 10:00:00", "2026-03-10 16:00:00", "准予", "0", "", "申请表；营业执照；场所证明"],
        ["Q0002", "I01", "D01", "W01", "自然人", "张三", "230108199001011234", "2026-03-03 09:00:00",
         "2026-03-03 09:30:00", "", "", "", "", "申请表"],
        ["Q0003", "I01", "D01", "W01", "其他组织", "某某协会", "51230108MJ0000001A", "2026-03-04 11:00:00",
         "", "2026-03-04 15:00:00", "不予受理", "", "", ""],
    ], "gbk")
    write_csv(OUT / "qyzx_events.csv", ["办件编号", "环节名称", "办理时间", "办理人编号", "办理单位编码", "文书类型", "文书编号",
                                        "金额", "办理意见"], [
        ["Q0001", "收件", "2026-03-02 09:15:00", "U01", "D02", "", "", "", ""],
        ["Q0001", "受理", "2026-03-02 10:00:00", "U01", "D02", "受理通知书", "哈受〔2026〕1号", "", "材料齐全，予以受理"],
        ["Q0001", "审查", "2026-03-05 10:00:00", "U02", "D02", "", "", "", ""],
        ["Q0001", "审批决定", "2026-03-10 15:00:00", "U03", "D02", "准予许可决定书", "哈决〔2026〕1号", "", "准予"],
        ["Q0001", "办结", "2026-03-10 16:00:00", "U01", "D02", "", "", "", ""],
        ["Q0002", "收件", "2026-03-03 09:00:00", "U04", "D01", "", "", "", ""],
        ["Q0002", "受理", "2026-03-03 09:30:00", "U04", "D01", "受理通知书", "发受〔2026〕7号", "", ""],
        ["Q0002", "审查", "2026-03-03 09:30:00", "U05", "D01", "", "", "", ""],
        ["Q0003", "不予受理", "2026-03-04 15:00:00", "U04", "D01", "不予受理通知书", "发不受〔2026〕1号", "", "不属于本部门职责"],
    ], "gbk")


def citizen_centre() -> None:
    """mszx: a workbook with 办件 (2 cases), 办理过程 (6 events) and an extra sheet 说明."""
    book = xlsxwriter.Workbook(str(OUT / "mszx_001.xlsx"))
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    cases = book.add_worksheet("办件")
    cases.write_row(0, 0, ["受理编号", "事项编码", "部门编码", "申请人类型", "申请人", "身份证号", "申请日期时间",
                           "受理日期时间", "办结日期时间", "结果", "收费", "收据号", "材料清单"])
    cases.write_row(1, 0, ["M0001", "I03", "D03", "个人", "刘芳", "230108198505051236"])
    cases.write_datetime(1, 6, dt.datetime(2026, 3, 9, 8, 40), when)        # a real date cell
    cases.write_string(1, 7, "2026-03-09 09:00")                            # text, second format
    cases.write_row(1, 8, ["", "", 0, "", "申请表、收入证明"])
    cases.write_row(2, 0, ["M0002", "I02", "D02", "单位", "某某便利店", "92230108MA0000002B", "2026-03-10 10:00:00",
                           "2026-03-10 10:20:00", "2026-03-12 10:00:00", "准予", 0, "", "申请表、营业执照"])
    steps = book.add_worksheet("办理过程")
    steps.write_row(0, 0, ["受理编号", "步骤", "时间", "经办人", "部门编码", "文书", "文号", "金额"])
    for r, row in enumerate([
        ["M0001", "申请", "2026-03-09 08:40:00", "U21", "D03", "", "", ""],
        ["M0001", "受理", "2026-03-09 09:00:00", "U21", "D03", "受理通知书", "民受〔2026〕3号", ""],
        ["M0001", "审核", "2026-03-11 14:00", "U22", "D03", "", "", ""],
        ["M0002", "申请", "2026-03-10 10:00:00", "U23", "D02", "", "", ""],
        ["M0002", "受理", "2026-03-10 10:20:00", "U23", "D02", "", "", ""],
        ["M0002", "办结", "2026-03-12 10:00:00", "U23", "D02", "", "", ""],
    ], 1):
        steps.write_row(r, 0, row)
    notes = book.add_worksheet("说明")
    notes.write(0, 0, "本工作簿由民生服务中心系统导出")
    book.close()


def community_centre() -> None:
    """sqzx: UTF-8 with BOM, Chinese dates, full-width digits in places. 2 cases, 5 events."""
    write_csv(OUT / "sqzx_cases.csv", ["业务编号", "事项编码", "所属单位编码", "申请人类别", "申请人姓名", "证件号", "申请时间",
                                       "受理时间", "办结时间", "办理结果", "收费金额", "票据编号", "所交材料"], [
        ["SQ001", "I03", "S01", "居民", "陈静", "２３０１０８１９７００２０２１２３Ｘ", "2026年3月4日 14:05", "2026年3月4日14:30", "",
         "", "", "", "申请表，收入证明"],
        ["SQ002", "I02", "S01", "单位", "某某小吃店", "92230108MA0000003C", "２０２６年３月５日 ０９:１０",
         "2026年3月5日 09时30分", "", "", "０", "", "申请表"],
    ], "utf-8-sig")
    write_csv(OUT / "sqzx_events.csv", ["业务编号", "办理环节", "时间", "工作人员", "所属单位编码", "文书名称", "文书号", "金额"], [
        ["SQ001", "收件", "2026年3月4日 14:05", "U31", "S01", "", "", ""],
        ["SQ001", "受理", "2026年3月4日14:30", "U31", "S01", "受理通知书", "新受〔2026〕2号", ""],
        ["SQ001", "补正通知", "2026年3月6日 10时00分", "U31", "S01", "补正告知书", "新补〔2026〕1号", ""],
        ["SQ002", "收件", "２０２６年３月５日 ０９:１０", "U32", "S01", "", "", ""],
        ["SQ002", "受理", "2026年3月5日 09时30分", "U32", "S01", "", "", ""],
    ], "utf-8-sig")


def online_hall() -> None:
    """wsdt: JSON lines, ISO 8601 with +08:00 or Z. 2 cases, 4 events; 20:30Z is the next local day."""
    write_jsonl(OUT / "wsdt_cases.jsonl", [
        {"apply_no": "WS0001", "item_code": "I01", "dept_code": "D01", "applicant_type": "legal",
         "applicant_name": "某某科技有限公司", "id_card": "91230108MA0000004D", "apply_time": "2026-03-05T20:30:00Z",
         "accept_time": "2026-03-06T09:00:00+08:00", "finish_time": None, "result": None, "fee": 0,
         "receipt_no": None, "materials": ["申请表", "项目说明"]},
        {"apply_no": "WS0002", "item_code": "I02", "dept_code": "D02", "applicant_type": "personal",
         "applicant_name": "周杰", "id_card": "230108199212121238", "apply_time": "2026-03-06T10:00:00+08:00",
         "accept_time": None, "finish_time": None, "result": None, "fee": None, "receipt_no": None, "materials": []},
    ])
    write_jsonl(OUT / "wsdt_events.jsonl", [
        {"apply_no": "WS0001", "node": "submit", "time": "2026-03-05T20:30:00Z", "handler": None, "dept_code": "D01",
         "doc_type": None, "doc_no": None, "amount": None, "channel": "web", "comment": None},
        {"apply_no": "WS0001", "node": "accept", "time": "2026-03-06T09:00:00+08:00", "handler": "U41",
         "dept_code": "D01", "doc_type": "受理通知书", "doc_no": "网受〔2026〕5号", "amount": None, "channel": "web",
         "comment": "受理"},
        {"apply_no": "WS0002", "node": "submit", "time": "2026-03-06T10:00:00+08:00", "handler": None,
         "dept_code": "D02", "doc_type": None, "doc_no": None, "amount": None, "channel": "app", "comment": None},
        {"apply_no": "WS0002", "node": "pay", "time": "2026-03-06T02:05:00Z", "handler": None, "dept_code": "D02",
         "doc_type": None, "doc_no": None, "amount": 12.5, "channel": "app", "comment": None},
    ])


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <string key="source" value="统一协同办公平台"/>
  <string key="concept:name" value="协同办公导出"/>
  <trace>
    <string key="concept:name" value="XT0001"/>
    <string key="item_code" value="I02"/>
    <string key="dept_code" value="D02"/>
    <string key="applicant_type" value="org"/>
    <string key="applicant_name" value="某某餐饮管理有限公司"/>
    <string key="applicant_id" value="91230108MA0000005E"/>
    <date key="submitted_at" value="2026-03-01T23:30:00.000Z"/>
    <string key="materials" value="申请表；营业执照"/>
    <event>
      <string key="concept:name" value="收件登记"/>
      <date key="time:timestamp" value="2026-03-01T23:30:00.000Z"/>
      <string key="org:resource" value="U51"/>
    </event>
    <event>
      <string key="concept:name" value="受理"/>
      <date key="time:timestamp" value="2026-03-02T01:00:00.000Z"/>
      <string key="org:resource" value="U51"/>
      <string key="org:group" value="D02"/>
    </event>
    <event>
      <string key="concept:name" value="承办审查"/>
      <date key="time:timestamp" value="2026-03-02T01:00:00.000Z"/>
      <string key="org:resource" value="U52"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="XT0002"/>
    <string key="item_code" value="I02"/>
    <string key="dept_code" value="D02"/>
    <date key="submitted_at" value="2026-03-03T02:00:00.000Z"/>
    <event>
      <string key="concept:name" value="收件登记"/>
      <date key="time:timestamp" value="2026-03-03T02:00:00.000Z"/>
    </event>
  </trace>
</log>
"""


def unified_office() -> None:
    """xtbg: XES with UTC times; 2 traces and 4 events (6 rows)."""
    (OUT / "xtbg.xes").write_text(XES, encoding="utf-8")


def enforcement() -> None:
    """zfba: GB18030 (a name only GB18030 can hold). 1 case, 4 events."""
    write_csv(OUT / "zfba_cases.csv", ["案件编号", "处罚事项编码", "执法单位编码", "当事人类型", "当事人", "证件号码", "案源登记时间",
                                       "结案时间", "处理结果", "违法行为代码", "裁量档次", "罚款金额", "案由", "决定书文号"], [
        ["ZF0001", "P01", "D02", "个体工商户", "𠮷祥小吃店", "92230108MA0000006F", "2026/03/02 09:00", "",
         "处罚", "V01", "一般", "1,000.00", "未按规定公示食品经营许可证", "哈市监罚〔2026〕1号"],
    ], "gb18030")
    write_csv(OUT / "zfba_events.csv", ["案件编号", "办案环节", "环节时间", "执法人员", "执法单位编码", "文书名称", "文书编号",
                                        "金额"], [
        ["ZF0001", "立案", "2026/03/02 09:00", "O01；O02", "D02", "立案审批表", "哈市监立〔2026〕1号", ""],
        ["ZF0001", "调查取证", "2026/03/03 10:00:00", "O01；O02", "D02", "现场检查笔录", "", ""],
        ["ZF0001", "告知", "2026/03/05 10:00", "O01；O02", "D02", "行政处罚告知书", "哈市监告〔2026〕1号", ""],
        ["ZF0001", "处罚决定", "2026/03/09 10:00", "O01；O02", "D02", "行政处罚决定书", "哈市监罚〔2026〕1号", "1000"],
    ], "gb18030")


def disclosure_feed() -> None:
    """gswz: the website feed, 1 disclosure of ZF0001."""
    write_jsonl(OUT / "gswz_disclosures.jsonl", [
        {"id": "GS0001", "system": "zfba", "case_no": "ZF0001", "decision_no": "哈市监罚〔2026〕1号",
         "publish_time": "2026-03-11 09:00:00", "withdraw_time": None, "url": "https://example.gov.cn/gs/1",
         "title": "行政处罚决定公示", "party": "𠮷祥小吃店", "fine": 1000, "cause": "未按规定公示食品经营许可证",
         "content": "当事人𠮷祥小吃店未按规定公示食品经营许可证，罚款1000元。"},
    ])


if __name__ == "__main__":
    for make in (reference, enterprise_centre, citizen_centre, community_centre, online_hall, unified_office,
                 enforcement, disclosure_feed):
        make()
    print(f"fixtures written to {OUT}")
