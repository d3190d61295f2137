-- rule: G_DOCUMENT_MATERIALS (document)
-- params: {"as_of": null, "p0": "ACCEPT", "p1": "service", "p2": "red", "p3": "G_DOCUMENT_MATERIALS", "p4": 1, "p5": "TEST", "p6": "内容", "p7": "样例"}
WITH candidate AS (
  SELECT
    n.case_id
  FROM (
    SELECT
      c.case_id,
      c.materials,
      UNNEST(i.required_materials) AS material
    FROM cases AS c
    JOIN items AS i
      ON i.item_code = c.item_code
  ) AS n
  WHERE
    NOT COALESCE(ARRAY_CONTAINS(n.materials, n.material), FALSE)
), ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts,
    e.document_type,
    e.document_no
  FROM events AS e
  WHERE
    (
      e.ts <= CAST($as_of AS TIMESTAMP) AND e.activity IN (CAST($p0 AS TEXT))
    )
    AND e.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    c.materials AS materials,
    i.required_materials AS required
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.case_kind = CAST($p1 AS TEXT)
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), marked AS (
  SELECT
    e.case_id,
    MIN(e.seq) AS seq,
    ARG_MIN(e.ts, e.seq) AS ts,
    ARG_MIN(e.event_id, e.seq) AS event_id
  FROM ev AS e
  GROUP BY
    e.case_id
), needed AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.materials,
    s.required,
    m.ts,
    m.event_id,
    UNNEST(s.required) AS material
  FROM subject AS s
  JOIN marked AS m
    ON m.case_id = s.case_id
), missing AS (
  SELECT
    n.case_id,
    n.item_code,
    n.dept_code,
    n.source_system,
    MIN(n.ts) AS ts,
    MIN(n.event_id) AS event_id,
    LISTAGG(n.material, '、'
    ORDER BY
      n.material) AS missing_text,
    CAST(ARRAY_AGG(n.material ORDER BY n.material) AS JSON) AS missing,
    MIN(ARRAY_TO_STRING(n.materials, '、')) AS handed_in
  FROM needed AS n
  WHERE
    NOT COALESCE(ARRAY_CONTAINS(n.materials, n.material), FALSE)
  GROUP BY
    n.case_id,
    n.item_code,
    n.dept_code,
    n.source_system
)
SELECT
  CAST($p3 AS TEXT) AS rule_id,
  CAST($p4 AS INT) AS rule_version,
  CAST($p5 AS TEXT) AS violation_code,
  CAST(x.case_id AS TEXT) AS case_id,
  CAST(x.item_code AS TEXT) AS item_code,
  CAST(x.dept_code AS TEXT) AS dept_code,
  CAST(x.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p2 AS TEXT) AS level,
  CAST($p6 AS TEXT) AS category,
  CAST($p7 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(CAST(CASE WHEN 'ACCEPT' = 'ACCEPT' THEN '受理' ELSE 'ACCEPT' END AS TEXT), ''),
    ' ',
    COALESCE(CAST(STRFTIME(x.ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
    ' 时缺少应交材料：',
    COALESCE(CAST(x.missing_text AS TEXT), ''),
    '（已交：',
    COALESCE(CAST(COALESCE(x.handed_in, '无') AS TEXT), ''),
    '）。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT('event_id', x.event_id, 'ts', x.ts, 'missing', x.missing) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM missing AS x
