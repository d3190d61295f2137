"""规则: every rule as a Chinese sentence, its legal basis, hits over time and its tests."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data, rules_view, session

db, viewer = session.database(), session.viewer()
st.title("规则")
catalogue = rules_view.catalogue(db)
hits = data.rule_hits(db, viewer)
if catalogue.empty:
    st.info("尚未加载规则。")
    st.stop()
categories = sorted(catalogue["category"].dropna().unique())
chosen = st.multiselect("类别", categories, key="rules_category", placeholder="全部")
shown = catalogue[catalogue["category"].isin(chosen)] if chosen else catalogue
st.caption(f"共 {len(shown)} 条规则。")
shown_hits = hits[hits["rule_id"].isin(shown["rule_id"])]
if not shown_hits.empty:
    st.subheader("命中趋势")
    titles = dict(zip(catalogue["rule_id"], catalogue["title"], strict=True))
    st.altair_chart(charts.rule_hits(shown_hits, titles), width="stretch", key="rule_hits_chart")
for _, rule in shown.iterrows():
    rule_hits = hits[hits["rule_id"] == rule["rule_id"]]
    total = int(rule_hits["flags"].sum()) if not rule_hits.empty else 0
    with st.expander(f"{rule['rule_id']}｜{rule['title']}｜{rule['category']}｜命中 {total}"):
        rules_view.describe(rule)
        rules_view.hits(rule_hits)
        rules_view.tests(rule)
