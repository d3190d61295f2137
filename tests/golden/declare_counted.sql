-- rule: G_DECLARE_COUNTED (declare)
-- params: {"as_of": null, "p0": "SUPPLEMENT_NOTICE", "p1": 1, "p2": "red", "p3": "G_DECLARE_COUNTED", "p4": "TEST", "p5": "流程", "p6": "样例"}
WITH candidate AS (
  SELECT
    e.case_id
  FROM events AS e
  WHERE
    e.ts <= CAST($as_of AS TIMESTAMP) AND e.activity IN (CAST($p0 AS TEXT))
  GROUP BY
    e.case_id
  HAVING
    COUNT(CASE WHEN e.activity = CAST($p0 AS TEXT) THEN e.seq END) > CAST($p1 AS INT)
), ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts
  FROM events AS e
  WHERE
    e.ts <= CAST($as_of AS TIMESTAMP)
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
), counts AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    COUNT(*) FILTER(WHERE
      e.activity = CAST($p0 AS TEXT)) AS n_a,
    COUNT(*) FILTER(WHERE
      FALSE) AS n_b,
    ARG_MIN(e.activity, e.seq) AS first_act,
    ARG_MIN(e.ts, e.seq) AS first_ts,
    ARG_MIN(e.event_id, e.seq) AS first_id,
    ARG_MAX(e.activity, e.seq) AS last_act,
    ARG_MAX(e.ts, e.seq) AS last_ts,
    ARG_MAX(e.event_id, e.seq) AS last_id,
    LISTAGG(STRFTIME(e.ts, '%Y-%m-%d %H:%M'), '、'
    ORDER BY
      e.seq) FILTER(WHERE
      e.activity = CAST($p0 AS TEXT)) AS a_times,
    LISTAGG(STRFTIME(e.ts, '%Y-%m-%d %H:%M'), '、'
    ORDER BY
      e.seq) FILTER(WHERE
      FALSE) AS b_times,
    CAST(ARRAY_AGG(
      JSON_OBJECT('event_id', e.event_id, 'activity', e.activity, 'ts', e.ts) ORDER BY e.seq
    ) FILTER(WHERE
      e.activity = CAST($p0 AS TEXT)) AS JSON) AS events
  FROM subject AS s
  JOIN ev AS e
    ON e.case_id = s.case_id
  GROUP BY
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system
)
SELECT
  CAST($p3 AS TEXT) AS rule_id,
  CAST($p1 AS INT) AS rule_version,
  CAST($p4 AS TEXT) AS violation_code,
  CAST(k.case_id AS TEXT) AS case_id,
  CAST(k.item_code AS TEXT) AS item_code,
  CAST(k.dept_code AS TEXT) AS dept_code,
  CAST(k.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p2 AS TEXT) AS level,
  CAST($p5 AS TEXT) AS category,
  CAST($p6 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(
      CAST(CONCAT(
        COALESCE(
          CAST(CONCAT(
            '“补正告知”出现 ',
            COALESCE(CAST(k.n_a AS TEXT), ''),
            ' 次',
            COALESCE(
              CAST(CASE
                WHEN NOT k.a_times IS NULL
                THEN CONCAT('（', COALESCE(CAST(k.a_times AS TEXT), ''), '）')
                ELSE ''
              END AS TEXT),
              ''
            )
          ) AS TEXT),
          ''
        ),
        '，超过 ',
        COALESCE(CAST(CAST($p1 AS INT) AS TEXT), ''),
        ' 次'
      ) AS TEXT),
      ''
    ),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT('events', COALESCE(k.events, CAST('[]' AS JSON)), 'count_a', k.n_a, 'count_b', k.n_b) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM counts AS k
WHERE
  k.n_a > CAST($p1 AS INT)
