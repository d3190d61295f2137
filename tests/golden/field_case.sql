-- rule: G_FIELD_CASE (field)
-- params: {"as_of": null, "p0": "case.fine_amount is not None and (not exists(discretion) or case.fine_amount > discretion.max_fine)", "p1": "enforcement", "p2": "red", "p3": "G_FIELD_CASE", "p4": 1, "p5": "TEST", "p6": "内容", "p7": "样例"}
SELECT
  CAST($p3 AS TEXT) AS rule_id,
  CAST($p4 AS INT) AS rule_version,
  CAST($p5 AS TEXT) AS violation_code,
  CAST(c.case_id AS TEXT) AS case_id,
  CAST(c.item_code AS TEXT) AS item_code,
  CAST(c.dept_code AS TEXT) AS dept_code,
  CAST(c.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p2 AS TEXT) AS level,
  CAST($p6 AS TEXT) AS category,
  CAST($p7 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(CAST(CONCAT('满足条件“', COALESCE(CAST($p0 AS TEXT), ''), '”：') AS TEXT), ''),
    COALESCE(
      CAST(CONCAT(
        '罚款金额（case.fine_amount）=',
        COALESCE(CAST(COALESCE(CAST(c.fine_amount AS TEXT), '空') AS TEXT), ''),
        '，',
        '罚款上限（discretion.max_fine）=',
        COALESCE(CAST(COALESCE(CAST(dd.max_fine AS TEXT), '空') AS TEXT), ''),
        '，',
        '违法行为代码（discretion.violation_code）=',
        COALESCE(CAST(COALESCE(CAST(dd.violation_code AS TEXT), '空') AS TEXT), '')
      ) AS TEXT),
      ''
    ),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT(
    'values', JSON_OBJECT(
      'case.fine_amount', c.fine_amount,
      'discretion.max_fine', dd.max_fine,
      'discretion.violation_code', dd.violation_code
    )
  ) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM cases AS c
JOIN items AS i
  ON i.item_code = c.item_code
LEFT JOIN discretion AS dd
  ON dd.violation_code = c.violation_code AND dd.level = c.discretion_level
WHERE
  c.case_kind = CAST($p1 AS TEXT)
  AND EXISTS(
    SELECT
      1
    FROM events AS known
    WHERE
      known.case_id = c.case_id AND known.ts <= CAST($as_of AS TIMESTAMP)
  )
  AND (
    (
      NOT c.fine_amount IS NULL
    )
    AND (
      (
        NOT (
          NOT dd.violation_code IS NULL
        )
      )
      OR (
        c.fine_amount > dd.max_fine
      )
    )
  )
