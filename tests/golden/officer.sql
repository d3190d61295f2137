-- rule: G_OFFICER (officer)
-- params: {"as_of": null, "p0": "INVESTIGATE", "p1": "PENALTY_DECISION", "p2": 2, "p3": "red", "p4": "G_OFFICER", "p5": 1, "p6": "TEST", "p7": "内容", "p8": "样例"}
WITH candidate AS (
  SELECT
    e.case_id
  FROM events AS e
  WHERE
    (
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))
    )
    AND COALESCE(ARRAY_LENGTH(LIST_DISTINCT(e.officer_ids)), 0) < CAST($p2 AS INT)
  UNION ALL
  SELECT
    u.case_id
  FROM (
    SELECT
      e.case_id,
      e.ts,
      UNNEST(LIST_DISTINCT(e.officer_ids)) AS officer_id
    FROM events AS e
    WHERE
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))
  ) AS u
  LEFT JOIN officers AS f
    ON f.officer_id = u.officer_id
  WHERE
    f.officer_id IS NULL
    OR (
      f.cert_no IS NULL OR TRIM(f.cert_no) = ''
    )
    OR (
      f.cert_valid_from > CAST(u.ts AS DATE) OR f.cert_valid_to < CAST(u.ts AS DATE)
    )
), ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts,
    e.officer_ids
  FROM events AS e
  WHERE
    (
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))
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
    c.source_system AS source_system
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), oe AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    e.event_id,
    e.seq,
    e.activity,
    e.ts,
    e.officer_ids
  FROM subject AS s
  JOIN ev AS e
    ON e.case_id = s.case_id
), listed AS (
  SELECT
    *,
    UNNEST(LIST_DISTINCT(o.officer_ids)) AS officer_id
  FROM oe AS o
), rows AS (
  SELECT
    o.case_id,
    o.item_code,
    o.dept_code,
    o.source_system,
    CONCAT(
      COALESCE(
        CAST(CONCAT(
          '“',
          COALESCE(
            CAST(CASE
              WHEN o.activity = 'INVESTIGATE'
              THEN '调查取证'
              WHEN o.activity = 'PENALTY_DECISION'
              THEN '处罚决定'
              ELSE o.activity
            END AS TEXT),
            ''
          ),
          '” ',
          COALESCE(CAST(STRFTIME(o.ts, '%Y-%m-%d %H:%M') AS TEXT), '')
        ) AS TEXT),
        ''
      ),
      ' 登记执法人员 ',
      COALESCE(CAST(COALESCE(ARRAY_LENGTH(LIST_DISTINCT(o.officer_ids)), 0) AS TEXT), ''),
      ' 名，少于 ',
      COALESCE(CAST(CAST($p2 AS INT) AS TEXT), ''),
      ' 名'
    ) AS clause,
    JSON_OBJECT(
      'event_id', o.event_id,
      'ts', o.ts,
      'officer_ids', o.officer_ids,
      'officers', COALESCE(ARRAY_LENGTH(LIST_DISTINCT(o.officer_ids)), 0)
    ) AS detail,
    o.seq AS ord,
    '' AS tie
  FROM oe AS o
  WHERE
    COALESCE(ARRAY_LENGTH(LIST_DISTINCT(o.officer_ids)), 0) < CAST($p2 AS INT)
  UNION ALL
  SELECT
    u.case_id,
    u.item_code,
    u.dept_code,
    u.source_system,
    CONCAT(
      COALESCE(
        CAST(CONCAT(
          '“',
          COALESCE(
            CAST(CASE
              WHEN u.activity = 'INVESTIGATE'
              THEN '调查取证'
              WHEN u.activity = 'PENALTY_DECISION'
              THEN '处罚决定'
              ELSE u.activity
            END AS TEXT),
            ''
          ),
          '” ',
          COALESCE(CAST(STRFTIME(u.ts, '%Y-%m-%d %H:%M') AS TEXT), '')
        ) AS TEXT),
        ''
      ),
      ' 执法人员 ',
      COALESCE(CAST(u.officer_id AS TEXT), ''),
      '：',
      COALESCE(
        CAST(CASE
          WHEN f.officer_id IS NULL
          THEN '不在执法人员名录中'
          WHEN f.cert_no IS NULL OR TRIM(f.cert_no) = ''
          THEN '无执法证件'
          ELSE CONCAT(
            '执法证 ',
            COALESCE(CAST(f.cert_no AS TEXT), ''),
            ' 有效期 ',
            COALESCE(CAST(COALESCE(CAST(f.cert_valid_from AS TEXT), '不限') AS TEXT), ''),
            ' 至 ',
            COALESCE(CAST(COALESCE(CAST(f.cert_valid_to AS TEXT), '不限') AS TEXT), ''),
            '，当日无效'
          )
        END AS TEXT),
        ''
      )
    ) AS clause,
    JSON_OBJECT(
      'event_id', u.event_id,
      'ts', u.ts,
      'officer_id', u.officer_id,
      'cert_no', f.cert_no,
      'cert_valid_from', f.cert_valid_from,
      'cert_valid_to', f.cert_valid_to
    ) AS detail,
    u.seq AS ord,
    u.officer_id AS tie
  FROM listed AS u
  LEFT JOIN officers AS f
    ON f.officer_id = u.officer_id
  WHERE
    f.officer_id IS NULL
    OR (
      f.cert_no IS NULL OR TRIM(f.cert_no) = ''
    )
    OR (
      f.cert_valid_from > CAST(u.ts AS DATE) OR f.cert_valid_to < CAST(u.ts AS DATE)
    )
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
  CAST($p4 AS TEXT) AS rule_id,
  CAST($p5 AS INT) AS rule_version,
  CAST($p6 AS TEXT) AS violation_code,
  CAST(x.case_id AS TEXT) AS case_id,
  CAST(x.item_code AS TEXT) AS item_code,
  CAST(x.dept_code AS TEXT) AS dept_code,
  CAST(x.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p3 AS TEXT) AS level,
  CAST($p7 AS TEXT) AS category,
  CAST($p8 AS TEXT) AS title,
  CAST(CONCAT('', COALESCE(CAST(x.text AS TEXT), ''), '。') AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
