-- rule: G_FIELD_ITEM (field)
-- params: {"p0": "item.promised_limit > item.legal_limit", "p1": "red", "p2": "G_FIELD_ITEM", "p3": 1, "p4": "TEST", "p5": "内容", "p6": "样例"}
SELECT
  CAST($p2 AS TEXT) AS rule_id,
  CAST($p3 AS INT) AS rule_version,
  CAST($p4 AS TEXT) AS violation_code,
  CAST(NULL AS TEXT) AS case_id,
  CAST(i.item_code AS TEXT) AS item_code,
  CAST(i.dept_code AS TEXT) AS dept_code,
  CAST(NULL AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p1 AS TEXT) AS level,
  CAST($p5 AS TEXT) AS category,
  CAST($p6 AS TEXT) AS title,
  CAST(CONCAT(
    '事项 ',
    COALESCE(CAST(i.item_code AS TEXT), ''),
    '（',
    COALESCE(CAST(i.name AS TEXT), ''),
    '）',
    COALESCE(CAST(CONCAT('满足条件“', COALESCE(CAST($p0 AS TEXT), ''), '”：') AS TEXT), ''),
    COALESCE(
      CAST(CONCAT(
        '承诺时限（item.promised_limit）=',
        COALESCE(CAST(COALESCE(CAST(i.promised_limit AS TEXT), '空') AS TEXT), ''),
        '，',
        '法定时限（item.legal_limit）=',
        COALESCE(CAST(COALESCE(CAST(i.legal_limit AS TEXT), '空') AS TEXT), '')
      ) AS TEXT),
      ''
    ),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT(
    'values', JSON_OBJECT('item.promised_limit', i.promised_limit, 'item.legal_limit', i.legal_limit)
  ) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM items AS i
WHERE
  (
    i.promised_limit > i.legal_limit
  )
