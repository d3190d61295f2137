-- rule: G_FIELD_DISCLOSURE (field)
-- params: {"as_of": null, "p0": 30, "p1": "workdays(disclosure.published_at, coalesce(disclosure.withdrawn_at, as_of)) > 30", "p2": "red", "p3": "G_FIELD_DISCLOSURE", "p4": 1, "p5": "TEST", "p6": "公示", "p7": "样例"}
WITH rows AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    CONCAT(
      '公示 ',
      COALESCE(CAST(d.disclosure_id AS TEXT), ''),
      '（',
      COALESCE(CAST(STRFTIME(d.published_at, '%Y-%m-%d %H:%M') AS TEXT), ''),
      '）：',
      COALESCE(
        CAST(CONCAT(
          '公示时间（disclosure.published_at）=',
          COALESCE(CAST(COALESCE(CAST(d.published_at AS TEXT), '空') AS TEXT), ''),
          '，',
          '撤回时间（disclosure.withdrawn_at）=',
          COALESCE(CAST(COALESCE(CAST(d.withdrawn_at AS TEXT), '空') AS TEXT), '')
        ) AS TEXT),
        ''
      )
    ) AS clause,
    JSON_OBJECT(
      'disclosure_id', d.disclosure_id,
      'published_at', d.published_at,
      'values', JSON_OBJECT(
        'disclosure.published_at', d.published_at,
        'disclosure.withdrawn_at', d.withdrawn_at
      )
    ) AS detail,
    d.published_at AS ord,
    d.disclosure_id AS tie
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  JOIN disclosures AS d
    ON d.case_id = c.case_id
    OR (
      d.case_id IS NULL AND d.decision_no = c.decision_no
    )
  WHERE
    EXISTS(
      SELECT
        1
      FROM events AS known
      WHERE
        known.case_id = c.case_id AND known.ts <= CAST($as_of AS TIMESTAMP)
    )
    AND (
      (
        (
          SELECT
            MAX(workday_no)
          FROM calendar
          WHERE
            day = CAST(COALESCE(d.withdrawn_at, CAST($as_of AS TIMESTAMP)) AS DATE)
        ) - (
          SELECT
            MAX(workday_no)
          FROM calendar
          WHERE
            day = CAST(d.published_at AS DATE)
        )
      ) > CAST($p0 AS BIGINT)
    )
    AND d.published_at <= CAST($as_of AS TIMESTAMP)
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
  CAST(CONCAT(
    COALESCE(CAST(CONCAT('满足条件“', COALESCE(CAST($p1 AS TEXT), ''), '”：') AS TEXT), ''),
    COALESCE(CAST(x.text AS TEXT), ''),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
