-- rule: G_DECLARE_ORDERED (declare)
-- params: {"as_of": null, "p0": "ACCEPT", "p1": "DECIDE", "p10": "样例", "p2": "D01", "p3": "D02", "p4": 20, "p5": "red", "p6": "G_DECLARE_ORDERED", "p7": 1, "p8": "TEST", "p9": "流程"}
WITH candidate AS (
  SELECT
    e.case_id
  FROM events AS e
  WHERE
    e.ts <= CAST($as_of AS TIMESTAMP)
    AND e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))
  GROUP BY
    e.case_id
  HAVING
    COUNT(CASE WHEN e.activity = CAST($p0 AS TEXT) THEN e.seq END) > 0
    OR COUNT(CASE WHEN e.activity = CAST($p1 AS TEXT) THEN e.seq END) > 0
), ev AS (
  SELECT
    e.event_id,
    e.case_id,
    e.seq,
    e.activity,
    e.ts
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
    c.dept_code IN (CAST($p2 AS TEXT), CAST($p3 AS TEXT))
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), marked AS (
  SELECT
    e.case_id,
    e.seq,
    e.ts,
    e.event_id,
    e.activity,
    MIN(CASE WHEN e.activity = CAST($p1 AS TEXT) THEN e.seq END) OVER (
      PARTITION BY e.case_id
      ORDER BY e.seq
      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
    ) AS nb,
    MIN(CASE WHEN e.activity = CAST($p0 AS TEXT) THEN e.seq END) OVER (
      PARTITION BY e.case_id
      ORDER BY e.seq
      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
    ) AS na,
    MAX(CASE WHEN e.activity = CAST($p0 AS TEXT) THEN e.seq END) OVER (
      PARTITION BY e.case_id
      ORDER BY e.seq
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS pa,
    MAX(CASE WHEN e.activity = CAST($p1 AS TEXT) THEN e.seq END) OVER (
      PARTITION BY e.case_id
      ORDER BY e.seq
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS pb,
    LEAD(e.seq) OVER (PARTITION BY e.case_id ORDER BY e.seq) AS next_seq,
    LEAD(e.activity) OVER (PARTITION BY e.case_id ORDER BY e.seq) AS next_act,
    LAG(e.seq) OVER (PARTITION BY e.case_id ORDER BY e.seq) AS prev_seq,
    LAG(e.activity) OVER (PARTITION BY e.case_id ORDER BY e.seq) AS prev_act
  FROM ev AS e
  JOIN subject AS s
    ON s.case_id = e.case_id
), sides AS (
  SELECT
    m.case_id,
    m.seq AS act_seq,
    m.ts AS act_ts,
    m.event_id AS act_id,
    m.activity AS act_activity,
    m.nb AS partner_seq,
    NOT m.nb IS NULL AND NOT m.na IS NULL AND m.nb > m.na AS structural,
    m.next_act,
    'response' AS side
  FROM marked AS m
  WHERE
    m.activity = CAST($p0 AS TEXT)
  UNION ALL
  SELECT
    m.case_id,
    m.seq AS act_seq,
    m.ts AS act_ts,
    m.event_id AS act_id,
    m.activity AS act_activity,
    m.pa AS partner_seq,
    NOT m.pa IS NULL AND NOT m.pb IS NULL AND m.pa < m.pb AS structural,
    m.next_act,
    'precedence' AS side
  FROM marked AS m
  WHERE
    m.activity = CAST($p1 AS TEXT)
), judged AS (
  SELECT
    v.case_id,
    v.act_seq,
    v.act_ts,
    v.act_id,
    v.act_activity,
    v.side,
    v.structural,
    v.next_act,
    v.partner_seq,
    p.ts AS partner_ts,
    p.event_id AS partner_id,
    p.activity AS partner_activity,
    cp.workday_no - ca.workday_no AS gap,
    CASE
      WHEN v.side = 'response'
      THEN v.structural
      OR (
        v.partner_seq IS NULL AND (
          cn.workday_no - ca.workday_no
        ) > CAST($p4 AS INT)
      )
      OR (
        NOT v.partner_seq IS NULL
        AND (
          cp.workday_no - ca.workday_no
        ) > CAST($p4 AS INT)
      )
      WHEN v.side = 'precedence'
      THEN v.structural
      OR v.partner_seq IS NULL
      OR (
        ca.workday_no - cp.workday_no
      ) > CAST($p4 AS INT)
      ELSE NOT v.partner_seq IS NULL
      AND (
        cp.workday_no - ca.workday_no
      ) <= CAST($p4 AS INT)
    END AS violated
  FROM sides AS v
  LEFT JOIN ev AS p
    ON p.case_id = v.case_id AND p.seq = v.partner_seq
  LEFT JOIN calendar AS ca
    ON ca.day = CAST(v.act_ts AS DATE)
  LEFT JOIN calendar AS cp
    ON cp.day = CAST(p.ts AS DATE)
  LEFT JOIN calendar AS cn
    ON cn.day = CAST(CAST($as_of AS TIMESTAMP) AS DATE)
), violations AS (
  SELECT
    j.case_id,
    LISTAGG(
      
        CASE
          WHEN j.side = 'forbid'
          THEN CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 之后出现了',
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.partner_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.partner_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.partner_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.partner_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            )
          )
          WHEN j.side = 'response' AND j.structural
          THEN CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 之后、下一次“受理”之前没有“决定”'
          )
          WHEN j.side = 'precedence' AND j.structural
          THEN CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 之前、上一次“决定”之后没有“受理”'
          )
          WHEN j.side = 'response' AND j.partner_seq IS NULL
          THEN CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 之后 20 个工作日内没有“决定”'
          )
          WHEN j.side = 'precedence' AND j.partner_seq IS NULL
          THEN CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 之前没有“受理”'
          )
          ELSE CONCAT(
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.act_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.act_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.act_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.act_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            ' 与 ',
            COALESCE(
              CAST(CONCAT(
                '“',
                COALESCE(
                  CAST(CASE
                    WHEN j.partner_activity = 'ACCEPT'
                    THEN '受理'
                    WHEN j.partner_activity = 'DECIDE'
                    THEN '决定'
                    ELSE j.partner_activity
                  END AS TEXT),
                  ''
                ),
                '” ',
                COALESCE(CAST(STRFTIME(j.partner_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              ) AS TEXT),
              ''
            ),
            COALESCE(
              CAST(CONCAT(' 相隔 ', COALESCE(CAST(ABS(j.gap) AS TEXT), ''), ' 个工作日，超过 20 个工作日') AS TEXT),
              ''
            )
          )
        END,
        '；'
      
      ORDER BY
        j.act_seq,
        j.side
    ) AS text,
    CAST(ARRAY_AGG(
      JSON_OBJECT(
        'event_id', j.act_id,
        'activity', j.act_activity,
        'ts', j.act_ts,
        'partner_id', j.partner_id,
        'partner_activity', j.partner_activity,
        'partner_ts', j.partner_ts
      ) ORDER BY j.act_seq, j.side
    ) AS JSON) AS events
  FROM judged AS j
  WHERE
    j.violated
  GROUP BY
    j.case_id
)
SELECT
  CAST($p6 AS TEXT) AS rule_id,
  CAST($p7 AS INT) AS rule_version,
  CAST($p8 AS TEXT) AS violation_code,
  CAST(s.case_id AS TEXT) AS case_id,
  CAST(s.item_code AS TEXT) AS item_code,
  CAST(s.dept_code AS TEXT) AS dept_code,
  CAST(s.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST($p5 AS TEXT) AS level,
  CAST($p9 AS TEXT) AS category,
  CAST($p10 AS TEXT) AS title,
  CAST(CONCAT(COALESCE(CAST(x.text AS TEXT), ''), '。') AS TEXT) AS message,
  CAST(JSON_OBJECT('events', x.events) AS JSON) AS evidence,
  CAST(NULL AS TIMESTAMP) AS due_at,
  CAST(NULL AS INT) AS days_overdue,
  CAST(NULL AS INT) AS days_left
FROM subject AS s
JOIN violations AS x
  ON x.case_id = s.case_id
