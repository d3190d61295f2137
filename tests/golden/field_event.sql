-- rule: G_FIELD_EVENT (field)
-- params: {"as_of": null, "p0": "CHARGE", "p1": "^$", "p2": "event.activity == 'CHARGE' and (event.amount > item.fee_standard or matches(event.document_no, '^$'))", "p3": "red", "p4": "G_FIELD_EVENT", "p5": 1, "p6": "TEST", "p7": "流程", "p8": "样例"}
WITH ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts,
    e.actor_id,
    e.officer_ids,
    e.dept_code,
    e.document_type,
    e.document_no,
    e.amount,
    e.source_system
  FROM events AS e
  WHERE
    e.ts <= CAST($as_of AS TIMESTAMP)
), rows AS (
  SELECT
    c.case_id AS case_id,
    c.item_code AS item_code,
    c.dept_code AS dept_code,
    c.source_system AS source_system,
    CONCAT(
      '“',
      COALESCE(
        CAST(CASE
          WHEN e.activity = 'SUBMIT'
          THEN '申请/收件'
          WHEN e.activity = 'ACCEPT'
          THEN '受理'
          WHEN e.activity = 'REFUSE'
          THEN '不予受理'
          WHEN e.activity = 'SUPPLEMENT_NOTICE'
          THEN '补正告知'
          WHEN e.activity = 'SUPPLEMENT_RECEIVED'
          THEN '补正接收'
          WHEN e.activity = 'REVIEW'
          THEN '审查'
          WHEN e.activity = 'SUSPEND'
          THEN '特别程序开始'
          WHEN e.activity = 'RESUME'
          THEN '特别程序结束'
          WHEN e.activity = 'EXTEND'
          THEN '延期'
          WHEN e.activity = 'DECIDE'
          THEN '决定'
          WHEN e.activity = 'DELIVER'
          THEN '送达/发证'
          WHEN e.activity = 'CLOSE'
          THEN '办结'
          WHEN e.activity = 'CHARGE'
          THEN '收费'
          WHEN e.activity = 'FILE_CASE'
          THEN '立案'
          WHEN e.activity = 'INVESTIGATE'
          THEN '调查取证'
          WHEN e.activity = 'NOTIFY'
          THEN '告知'
          WHEN e.activity = 'HEARING'
          THEN '听证'
          WHEN e.activity = 'PENALTY_DECISION'
          THEN '处罚决定'
          WHEN e.activity = 'EXECUTE'
          THEN '执行'
          WHEN e.activity = 'PUBLISH'
          THEN '公示'
          WHEN e.activity = 'WITHDRAW'
          THEN '撤回公示'
          WHEN e.activity = 'REVOKE'
          THEN '撤销决定'
          ELSE e.activity
        END AS TEXT),
        ''
      ),
      '” ',
      COALESCE(CAST(STRFTIME(e.ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
      '：',
      COALESCE(
        CAST(CONCAT(
          '环节（event.activity）=',
          COALESCE(CAST(COALESCE(CAST(e.activity AS TEXT), '空') AS TEXT), ''),
          '，',
          '金额（event.amount）=',
          COALESCE(CAST(COALESCE(CAST(e.amount AS TEXT), '空') AS TEXT), ''),
          '，',
          '收费标准（item.fee_standard）=',
          COALESCE(CAST(COALESCE(CAST(i.fee_standard AS TEXT), '空') AS TEXT), ''),
          '，',
          '文书编号（event.document_no）=',
          COALESCE(CAST(COALESCE(CAST(e.document_no AS TEXT), '空') AS TEXT), '')
        ) AS TEXT),
        ''
      )
    ) AS clause,
    JSON_OBJECT(
      'event_id', e.event_id,
      'ts', e.ts,
      'values', JSON_OBJECT(
        'event.activity', e.activity,
        'event.amount', e.amount,
        'item.fee_standard', i.fee_standard,
        'event.document_no', e.document_no
      )
    ) AS detail,
    e.seq AS ord,
    e.event_id AS tie
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  JOIN ev AS e
    ON e.case_id = c.case_id
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
        e.activity = CAST($p0 AS TEXT)
      )
      AND (
        (
          e.amount > i.fee_standard
        )
        OR REGEXP_MATCHES(e.document_no, CAST($p1 AS TEXT))
      )
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
  CAST(CONCAT(
    COALESCE(CAST(CONCAT('满足条件“', COALESCE(CAST($p2 AS TEXT), ''), '”：') AS TEXT), ''),
    COALESCE(CAST(x.text AS TEXT), ''),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT('records', x.details) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM per_case AS x
