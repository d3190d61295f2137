-- rule: G_DEADLINE_OPEN (deadline)
-- params: {"as_of": null, "p0": 10, "p1": "DECIDE", "p10": "TEST", "p11": "时效", "p12": "样例", "p2": "REFUSE", "p3": "CLOSE", "p4": "service", "p5": "SUPPLEMENT_NOTICE", "p6": "SUPPLEMENT_RECEIVED", "p7": "yellow", "p8": "G_DEADLINE_OPEN", "p9": 1}
WITH candidate AS (
  SELECT
    g.case_id
  FROM (
    SELECT
      e.case_id,
      MAX(e.ts) AS first_start,
      MAX(e.seq) AS last_start,
      MAX(e.seq) FILTER(WHERE
        FALSE) AS last_stop,
      ARG_MAX(e.ts, e.seq) FILTER(WHERE
        FALSE) AS last_stop_ts
    FROM events AS e
    WHERE
      e.ts <= CAST($as_of AS TIMESTAMP)
    GROUP BY
      e.case_id
    HAVING
      COUNT(*) FILTER(WHERE
        e.activity IN (CAST($p1 AS TEXT), CAST($p2 AS TEXT), CAST($p3 AS TEXT))) = 0
  ) AS g
  JOIN cases AS c
    ON c.case_id = g.case_id
  JOIN items AS i
    ON i.item_code = c.item_code
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(g.first_start AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(CASE
      WHEN COALESCE(g.last_stop > g.last_start, FALSE)
      THEN g.last_stop_ts
      ELSE CAST($as_of AS TIMESTAMP)
    END AS DATE)
  WHERE
    NOT g.first_start IS NULL
    AND (
      (
        ce.workday_no - cs.workday_no
      ) > CAST($p0 AS INT)
    )
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
    c.source_system AS source_system,
    CAST($p0 AS INT) AS limit_n,
    'workday' AS unit
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.case_kind = CAST($p4 AS TEXT)
    AND NOT CAST($p0 AS INT) IS NULL
    AND 'workday' IN ('workday', 'day', 'month')
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), marks AS (
  SELECT
    ev.case_id,
    MAX(ev.seq) AS s_seq,
    ARG_MAX(ev.ts, ev.seq) AS s_ts,
    ARG_MAX(ev.event_id, ev.seq) AS s_id,
    ARG_MAX(ev.activity, ev.seq) AS s_act
  FROM ev
  GROUP BY
    ev.case_id
), skipped AS (
  SELECT DISTINCT
    e.case_id
  FROM ev AS e
  WHERE
    e.activity IN (CAST($p1 AS TEXT), CAST($p2 AS TEXT), CAST($p3 AS TEXT))
), clock AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.limit_n,
    s.unit,
    m.s_seq AS start_seq,
    m.s_ts AS start_ts,
    m.s_id AS start_id,
    m.s_act AS start_act,
    FALSE AS fallback_used
  FROM subject AS s
  JOIN marks AS m
    ON m.case_id = s.case_id
  LEFT JOIN skipped AS sk
    ON sk.case_id = s.case_id
  WHERE
    sk.case_id IS NULL
), bounds AS (
  SELECT
    e.case_id,
    e.seq,
    e.ts,
    e.event_id,
    e.activity,
    CASE WHEN e.activity IN (CAST($p5 AS TEXT), CAST($p6 AS TEXT)) THEN 1 END AS pair,
    CASE WHEN e.activity IN (CAST($p5 AS TEXT)) THEN 'begin' ELSE 'end' END AS role,
    LAG(CASE WHEN e.activity IN (CAST($p5 AS TEXT)) THEN 'begin' ELSE 'end' END) OVER (
      PARTITION BY e.case_id, CASE WHEN e.activity IN (CAST($p5 AS TEXT), CAST($p6 AS TEXT)) THEN 1 END
      ORDER BY e.seq
    ) AS prev_role
  FROM ev AS e
  JOIN clock AS k
    ON k.case_id = e.case_id AND e.seq >= k.start_seq
  WHERE
    e.activity IN (CAST($p5 AS TEXT), CAST($p6 AS TEXT))
), pauses AS (
  SELECT
    b.case_id,
    b.seq AS begin_seq,
    b.ts AS begin_ts,
    b.event_id AS begin_id,
    b.activity AS begin_act,
    ARG_MIN(x.ts, x.seq) AS end_ts,
    ARG_MIN(x.event_id, x.seq) AS end_id,
    ARG_MIN(x.activity, x.seq) AS end_act
  FROM bounds AS b
  LEFT JOIN bounds AS x
    ON x.case_id = b.case_id AND x.pair = b.pair AND x.role = 'end' AND x.seq > b.seq
  WHERE
    b.role = 'begin' AND (
      b.prev_role IS NULL OR b.prev_role <> 'begin'
    )
  GROUP BY
    b.case_id,
    b.seq,
    b.ts,
    b.event_id,
    b.activity
), paused AS (
  SELECT
    p.case_id,
    SUM(pe.workday_no - pb.workday_no) AS paused_wd,
    SUM(DATE_DIFF('DAY', CAST(p.begin_ts AS DATE), CAST(p.end_ts AS DATE))) AS paused_days,
    BOOL_OR(CAST(p.end_ts IS NULL AS BOOLEAN)) AS pause_open,
    LISTAGG(
      
        CONCAT(
          COALESCE(
            CAST(CASE
              WHEN p.begin_act = 'SUPPLEMENT_NOTICE'
              THEN '补正告知'
              WHEN p.begin_act = 'SUPPLEMENT_RECEIVED'
              THEN '补正接收'
              ELSE p.begin_act
            END AS TEXT),
            ''
          ),
          ' ',
          COALESCE(CAST(STRFTIME(p.begin_ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
          ' 至 ',
          COALESCE(
            CAST(CASE
              WHEN p.end_ts IS NULL
              THEN '审计时点仍未结束'
              ELSE CONCAT(
                COALESCE(
                  CAST(CASE
                    WHEN p.end_act = 'SUPPLEMENT_NOTICE'
                    THEN '补正告知'
                    WHEN p.end_act = 'SUPPLEMENT_RECEIVED'
                    THEN '补正接收'
                    ELSE p.end_act
                  END AS TEXT),
                  ''
                ),
                ' ',
                COALESCE(CAST(STRFTIME(p.end_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
              )
            END AS TEXT),
            ''
          ),
          COALESCE(
            CAST(CASE
              WHEN NOT p.end_ts IS NULL
              THEN CONCAT(' 暂停 ', COALESCE(CAST(pe.workday_no - pb.workday_no AS TEXT), ''), '个工作日')
              ELSE ''
            END AS TEXT),
            ''
          )
        ),
        '；'
      
      ORDER BY
        p.begin_seq
    ) AS pause_text,
    CAST(ARRAY_AGG(
      JSON_OBJECT(
        'begin_id', p.begin_id,
        'begin_activity', p.begin_act,
        'begin_ts', p.begin_ts,
        'end_id', p.end_id,
        'end_activity', p.end_act,
        'end_ts', p.end_ts,
        'paused', pe.workday_no - pb.workday_no
      ) ORDER BY p.begin_seq
    ) AS JSON) AS pause_json
  FROM pauses AS p
  JOIN clock AS k
    ON k.case_id = p.case_id
  LEFT JOIN calendar AS pb
    ON pb.day = CAST(p.begin_ts AS DATE)
  LEFT JOIN calendar AS pe
    ON pe.day = CAST(p.end_ts AS DATE)
  GROUP BY
    p.case_id
), judged AS (
  SELECT
    k.case_id,
    k.item_code,
    k.dept_code,
    k.source_system,
    k.unit,
    k.limit_n,
    k.start_seq,
    k.start_ts,
    k.start_id,
    k.start_act,
    k.fallback_used,
    NULL AS stop_ts,
    NULL AS stop_id,
    NULL AS stop_act,
    TRUE AS is_open,
    CAST($as_of AS TIMESTAMP) AS end_ts,
    NULL AS ext_id,
    NULL AS ext_ts,
    0 AS ext_n,
    COALESCE(p.paused_wd, 0) AS paused_wd,
    COALESCE(p.paused_days, 0) AS paused_days,
    COALESCE(p.pause_open, FALSE) AS pause_open,
    p.pause_text,
    p.pause_json,
    cs.workday_no AS start_no,
    ce.workday_no AS end_no,
    cs.version AS calendar_version
  FROM clock AS k
  LEFT JOIN paused AS p
    ON p.case_id = k.case_id
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(k.start_ts AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(CAST($as_of AS TIMESTAMP) AS DATE)
  WHERE
    NOT k.start_seq IS NULL
), measured AS (
  SELECT
    *,
    (
      j.limit_n + j.ext_n
    ) AS limit_total,
    j.paused_wd AS paused,
    j.end_no - j.start_no - j.paused_wd AS used,
    (
      j.limit_n + j.ext_n
    ) AS allowed,
    cd.day AS due
  FROM judged AS j
  LEFT JOIN calendar AS cd
    ON cd.workday_no = (
      j.start_no + j.limit_n + j.ext_n + j.paused_wd
    )
    AND cd.is_workday
), leveled AS (
  SELECT
    *,
    (
      m.used - m.allowed
    ) AS over_by,
    CASE
      WHEN m.is_open AND m.pause_open
      THEN NULL
      WHEN m.used > m.allowed
      THEN CAST($p7 AS TEXT)
    END AS level
  FROM measured AS m
)
SELECT
  CAST($p8 AS TEXT) AS rule_id,
  CAST($p9 AS INT) AS rule_version,
  CAST($p10 AS TEXT) AS violation_code,
  CAST(r.case_id AS TEXT) AS case_id,
  CAST(r.item_code AS TEXT) AS item_code,
  CAST(r.dept_code AS TEXT) AS dept_code,
  CAST(r.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST(r.level AS TEXT) AS level,
  CAST($p11 AS TEXT) AS category,
  CAST($p12 AS TEXT) AS title,
  CAST(CONCAT(
    COALESCE(
      CAST(CASE
        WHEN r.start_act = 'SUBMIT'
        THEN '申请/收件'
        WHEN r.start_act = 'ACCEPT'
        THEN '受理'
        WHEN r.start_act = 'REFUSE'
        THEN '不予受理'
        WHEN r.start_act = 'SUPPLEMENT_NOTICE'
        THEN '补正告知'
        WHEN r.start_act = 'SUPPLEMENT_RECEIVED'
        THEN '补正接收'
        WHEN r.start_act = 'REVIEW'
        THEN '审查'
        WHEN r.start_act = 'SUSPEND'
        THEN '特别程序开始'
        WHEN r.start_act = 'RESUME'
        THEN '特别程序结束'
        WHEN r.start_act = 'EXTEND'
        THEN '延期'
        WHEN r.start_act = 'DECIDE'
        THEN '决定'
        WHEN r.start_act = 'DELIVER'
        THEN '送达/发证'
        WHEN r.start_act = 'CLOSE'
        THEN '办结'
        WHEN r.start_act = 'CHARGE'
        THEN '收费'
        WHEN r.start_act = 'FILE_CASE'
        THEN '立案'
        WHEN r.start_act = 'INVESTIGATE'
        THEN '调查取证'
        WHEN r.start_act = 'NOTIFY'
        THEN '告知'
        WHEN r.start_act = 'HEARING'
        THEN '听证'
        WHEN r.start_act = 'PENALTY_DECISION'
        THEN '处罚决定'
        WHEN r.start_act = 'EXECUTE'
        THEN '执行'
        WHEN r.start_act = 'PUBLISH'
        THEN '公示'
        WHEN r.start_act = 'WITHDRAW'
        THEN '撤回公示'
        WHEN r.start_act = 'REVOKE'
        THEN '撤销决定'
        ELSE r.start_act
      END AS TEXT),
      ''
    ),
    ' ',
    COALESCE(CAST(STRFTIME(r.start_ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
    ' 起算',
    COALESCE(
      CAST(CASE
        WHEN NOT r.pause_text IS NULL
        THEN CONCAT('；', COALESCE(CAST(r.pause_text AS TEXT), ''))
        ELSE ''
      END AS TEXT),
      ''
    ),
    '；时限 ',
    COALESCE(CAST(r.limit_n AS TEXT), ''),
    '个工作日',
    '（规则规定）；日历 ',
    COALESCE(CAST(r.calendar_version AS TEXT), ''),
    '；应于 ',
    COALESCE(CAST(COALESCE(STRFTIME(r.due, '%Y-%m-%d'), '（超出日历范围）') AS TEXT), ''),
    ' 前完成；截至',
    COALESCE(
      CAST(CASE
        WHEN r.is_open
        THEN CONCAT(
          '审计时点 ',
          COALESCE(CAST(STRFTIME(CAST($as_of AS TIMESTAMP), '%Y-%m-%d %H:%M') AS TEXT), ''),
          ''
        )
        ELSE CONCAT(
          COALESCE(CAST(r.stop_act AS TEXT), ''),
          ' ',
          COALESCE(CAST(STRFTIME(r.stop_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
        )
      END AS TEXT),
      ''
    ),
    ' 已用 ',
    COALESCE(CAST(r.used AS TEXT), ''),
    '个工作日',
    COALESCE(
      CAST(CASE
        WHEN r.paused > 0
        THEN CONCAT('（已扣除暂停 ', COALESCE(CAST(r.paused AS TEXT), ''), '个工作日', '）')
        ELSE ''
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN r.over_by > 0
        THEN CONCAT('，超期 ', COALESCE(CAST(r.over_by AS TEXT), ''), '个工作日')
        ELSE CONCAT('，剩余 ', COALESCE(CAST(-r.over_by AS TEXT), ''), '个工作日')
      END AS TEXT),
      ''
    ),
    '。'
  ) AS TEXT) AS message,
  CAST(JSON_OBJECT(
    'start', JSON_OBJECT('event_id', r.start_id, 'activity', r.start_act, 'ts', r.start_ts),
    'fallback_used', r.fallback_used,
    'stop', CASE
      WHEN r.is_open
      THEN NULL
      ELSE JSON_OBJECT('event_id', r.stop_id, 'activity', r.stop_act, 'ts', r.stop_ts)
    END,
    'as_of', CAST($as_of AS TIMESTAMP),
    'open', r.is_open,
    'pauses', COALESCE(r.pause_json, CAST('[]' AS JSON)),
    'extension', CASE
      WHEN r.ext_id IS NULL
      THEN NULL
      ELSE JSON_OBJECT('event_id', r.ext_id, 'ts', r.ext_ts, 'amount', r.ext_n)
    END,
    'limit', r.limit_n,
    'limit_total', r.limit_total,
    'unit', r.unit,
    'paused', r.paused,
    'used', r.used,
    'allowed', r.allowed,
    'due', r.due,
    'start_workday_no', r.start_no,
    'end_workday_no', r.end_no,
    'calendar', r.calendar_version
  ) AS JSON) AS evidence,
  CAST(CAST(r.due AS TIMESTAMP) + INTERVAL '86399' SECOND AS TIMESTAMP) AS due_at,
  CAST(CASE WHEN r.over_by IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(r.over_by, 0) END AS INT) AS days_overdue,
  CAST(CASE WHEN -r.over_by IS NULL OR 0 IS NULL THEN NULL ELSE GREATEST(-r.over_by, 0) END AS INT) AS days_left
FROM leveled AS r
WHERE
  NOT r.level IS NULL
