-- rule: G_DOCUMENT_NO (document)
-- params: {"as_of": null, "p0": "ACCEPT", "p1": "受理通知书", "p2": "red", "p3": "G_DOCUMENT_NO", "p4": 1, "p5": "TEST", "p6": "流程", "p7": "样例"}
WITH ev AS (
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
    e.ts <= CAST($as_of AS TIMESTAMP) AND e.activity IN (CAST($p0 AS TEXT))
), subject AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
), rows AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    CONCAT(
      '“',
      COALESCE(CAST(CASE WHEN e.activity = 'ACCEPT' THEN '受理' ELSE e.activity END AS TEXT), ''),
      '” ',
      COALESCE(CAST(STRFTIME(e.ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
      ' ',
      COALESCE(
        CAST(CASE
          WHEN e.document_no IS NULL OR TRIM(e.document_no) = ''
          THEN '未登记文书编号'
          ELSE CONCAT(
            '文书类型为“',
            COALESCE(CAST(COALESCE(e.document_type, '空') AS TEXT), ''),
            '”，应为“',
            COALESCE(CAST($p1 AS TEXT), ''),
            '”'
          )
        END AS TEXT),
        ''
      )
    ) AS clause,
    JSON_OBJECT(
      'event_id', e.event_id,
      'ts', e.ts,
      'document_type', e.document_type,
      'document_no', e.document_no
    ) AS detail,
    e.seq AS ord,
    e.event_id AS tie
  FROM subject AS s
  JOIN ev AS e
    ON e.case_id = s.case_id
  WHERE
    (
      e.document_no IS NULL OR TRIM(e.document_no) = ''
    )
    OR NOT e.document_type IS NOT DISTINCT FROM CAST($p1 AS TEXT)
), per_case AS (
  SELECT
    g.case_id,
    g.item_code,
    g.dept_code,
    g.source_system,
    LISTAGG(g.clause, '；'
    ORDER BY
      g.ord,
      g.tie) AS text,
    CAST(ARRAY_AGG(g.detail ORDER BY g.ord, g.tie) AS JSON) AS details
  FROM rows AS g
  GROUP BY
    g.case_id,
    g.item_code,
    g.dept_code,
    g.source_system
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
  CAST(CONCAT('', COALESCE(CAST(x.text AS TEXT), ''), '。') AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
