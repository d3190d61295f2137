-- rule: G_SQL (sql)
-- params: {"as_of": null, "p0": "TEST", "p1": "G_SQL", "p2": 1, "p3": "内容", "p4": "样例"}
SELECT
  CAST($p1 AS TEXT) AS rule_id,
  CAST($p2 AS INT) AS rule_version,
  CAST($p0 AS TEXT) AS violation_code,
  CAST(rq.case_id AS TEXT) AS case_id,
  CAST(rq.item_code AS TEXT) AS item_code,
  CAST(rq.dept_code AS TEXT) AS dept_code,
  CAST(rq.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST(rq.level AS TEXT) AS level,
  CAST($p3 AS TEXT) AS category,
  CAST($p4 AS TEXT) AS title,
  CAST(rq.message AS TEXT) AS message,
  CAST(rq.evidence AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    'red' AS level,
    '收费超标' AS message,
    JSON_OBJECT('fee', c.fee_charged) AS evidence
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.fee_charged > i.fee_standard AND c.submitted_at <= CAST($as_of AS TIMESTAMP)
) AS rq
