-- rule: G_DEADLINE (deadline)
-- params: {"as_of": null, "p0": "ACCEPT", "p1": "SUBMIT", "p10": "SUSPEND", "p11": "service", "p12": "行政许可", "p13": 5, "p14": 10, "p15": "red", "p16": "D02", "p17": 1, "p18": "G_DEADLINE", "p19": "TEST", "p2": "DECIDE", "p20": "时效", "p21": "样例", "p3": "REFUSE", "p4": 2, "p5": 0.9, "p6": "EXTEND", "p7": "RESUME", "p8": "SUPPLEMENT_NOTICE", "p9": "SUPPLEMENT_RECEIVED"}
WITH candidate AS (
  SELECT
    g.case_id
  FROM (
    SELECT
      e.case_id,
      MIN(e.ts) FILTER(WHERE
        e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))) AS first_start,
      MAX(e.seq) FILTER(WHERE
        e.activity IN (CAST($p0 AS TEXT), CAST($p1 AS TEXT))) AS last_start,
      MAX(e.seq) FILTER(WHERE
        e.activity IN (CAST($p2 AS TEXT), CAST($p3 AS TEXT))) AS last_stop,
      ARG_MAX(e.ts, e.seq) FILTER(WHERE
        e.activity IN (CAST($p2 AS TEXT), CAST($p3 AS TEXT))) AS last_stop_ts
    FROM events AS e
    WHERE
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (CAST($p0 AS TEXT), CAST($p2 AS TEXT), CAST($p3 AS TEXT), CAST($p1 AS TEXT))
    GROUP BY
      e.case_id
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
      CASE
        WHEN i.limit_unit = 'workday'
        THEN ce.workday_no - cs.workday_no
        WHEN i.limit_unit = 'day'
        THEN DATE_DIFF(
          'DAY',
          CAST(g.first_start AS DATE),
          CAST(CASE
            WHEN COALESCE(g.last_stop > g.last_start, FALSE)
            THEN g.last_stop_ts
            ELSE CAST($as_of AS TIMESTAMP)
          END AS DATE)
        )
        WHEN i.limit_unit = 'month'
        THEN DATE_DIFF(
          'DAY',
          CAST(g.first_start AS DATE),
          CAST(CASE
            WHEN COALESCE(g.last_stop > g.last_start, FALSE)
            THEN g.last_stop_ts
            ELSE CAST($as_of AS TIMESTAMP)
          END AS DATE)
        )
      END > CASE
        WHEN i.limit_unit = 'workday'
        THEN i.promised_limit
        WHEN i.limit_unit = 'day'
        THEN i.promised_limit
        WHEN i.limit_unit = 'month'
        THEN 28 * i.promised_limit
      END
      OR (
        NOT (
          COALESCE(g.last_stop > g.last_start, FALSE)
        )
        AND (
          CASE
            WHEN i.limit_unit = 'workday'
            THEN ce.workday_no - cs.workday_no
            WHEN i.limit_unit = 'day'
            THEN DATE_DIFF(
              'DAY',
              CAST(g.first_start AS DATE),
              CAST(CASE
                WHEN COALESCE(g.last_stop > g.last_start, FALSE)
                THEN g.last_stop_ts
                ELSE CAST($as_of AS TIMESTAMP)
              END AS DATE)
            )
            WHEN i.limit_unit = 'month'
            THEN DATE_DIFF(
              'DAY',
              CAST(g.first_start AS DATE),
              CAST(CASE
                WHEN COALESCE(g.last_stop > g.last_start, FALSE)
                THEN g.last_stop_ts
                ELSE CAST($as_of AS TIMESTAMP)
              END AS DATE)
            )
          END >= (
            CASE
              WHEN i.limit_unit = 'workday'
              THEN i.promised_limit
              WHEN i.limit_unit = 'day'
              THEN i.promised_limit
              WHEN i.limit_unit = 'month'
              THEN 28 * i.promised_limit
            END - CAST($p4 AS INT)
          )
          OR CASE
            WHEN i.limit_unit = 'workday'
            THEN ce.workday_no - cs.workday_no
            WHEN i.limit_unit = 'day'
            THEN DATE_DIFF(
              'DAY',
              CAST(g.first_start AS DATE),
              CAST(CASE
                WHEN COALESCE(g.last_stop > g.last_start, FALSE)
                THEN g.last_stop_ts
                ELSE CAST($as_of AS TIMESTAMP)
              END AS DATE)
            )
            WHEN i.limit_unit = 'month'
            THEN DATE_DIFF(
              'DAY',
              CAST(g.first_start AS DATE),
              CAST(CASE
                WHEN COALESCE(g.last_stop > g.last_start, FALSE)
                THEN g.last_stop_ts
                ELSE CAST($as_of AS TIMESTAMP)
              END AS DATE)
            )
          END >= (
            CAST($p5 AS DOUBLE) * CASE
              WHEN i.limit_unit = 'workday'
              THEN i.promised_limit
              WHEN i.limit_unit = 'day'
              THEN i.promised_limit
              WHEN i.limit_unit = 'month'
              THEN 28 * i.promised_limit
            END
          )
        )
      )
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
    (
      e.ts <= CAST($as_of AS TIMESTAMP)
      AND e.activity IN (
        CAST($p0 AS TEXT),
        CAST($p2 AS TEXT),
        CAST($p6 AS TEXT),
        CAST($p3 AS TEXT),
        CAST($p7 AS TEXT),
        CAST($p1 AS TEXT),
        CAST($p8 AS TEXT),
        CAST($p9 AS TEXT),
        CAST($p10 AS TEXT)
      )
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
    i.promised_limit AS limit_n,
    i.limit_unit AS unit
  FROM cases AS c
  JOIN items AS i
    ON i.item_code = c.item_code
  WHERE
    c.case_kind = CAST($p11 AS TEXT)
    AND i.kind IN (CAST($p12 AS TEXT))
    AND (
      i.promised_limit <= i.legal_limit
    )
    AND NOT i.promised_limit IS NULL
    AND i.limit_unit IN ('workday', 'day', 'month')
    AND c.case_id IN (
      SELECT
        case_id
      FROM candidate
    )
), marks AS (
  SELECT
    ev.case_id,
    MIN(ev.seq) FILTER(WHERE
      ev.activity = CAST($p0 AS TEXT)) AS s_seq,
    ARG_MIN(ev.ts, ev.seq) FILTER(WHERE
      ev.activity = CAST($p0 AS TEXT)) AS s_ts,
    ARG_MIN(ev.event_id, ev.seq) FILTER(WHERE
      ev.activity = CAST($p0 AS TEXT)) AS s_id,
    'ACCEPT' AS s_act,
    MIN(ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS f_seq,
    ARG_MIN(ev.ts, ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS f_ts,
    ARG_MIN(ev.event_id, ev.seq) FILTER(WHERE
      ev.activity = CAST($p1 AS TEXT)) AS f_id,
    MIN(ev.seq) FILTER(WHERE
      ev.activity = CAST($p8 AS TEXT)) AS l_seq,
    ARG_MIN(ev.ts, ev.seq) FILTER(WHERE
      ev.activity = CAST($p8 AS TEXT)) AS l_ts,
    ARG_MIN(ev.event_id, ev.seq) FILTER(WHERE
      ev.activity = CAST($p8 AS TEXT)) AS l_id
  FROM ev
  GROUP BY
    ev.case_id
), clock AS (
  SELECT
    s.case_id,
    s.item_code,
    s.dept_code,
    s.source_system,
    s.limit_n,
    s.unit,
    CASE
      WHEN NOT m.f_seq IS NULL
      AND NOT m.l_seq IS NULL
      AND cl.workday_no - cf.workday_no > CAST($p13 AS INT)
      THEN m.f_seq
      ELSE m.s_seq
    END AS start_seq,
    CASE
      WHEN NOT m.f_seq IS NULL
      AND NOT m.l_seq IS NULL
      AND cl.workday_no - cf.workday_no > CAST($p13 AS INT)
      THEN m.f_ts
      ELSE m.s_ts
    END AS start_ts,
    CASE
      WHEN NOT m.f_seq IS NULL
      AND NOT m.l_seq IS NULL
      AND cl.workday_no - cf.workday_no > CAST($p13 AS INT)
      THEN m.f_id
      ELSE m.s_id
    END AS start_id,
    CASE
      WHEN NOT m.f_seq IS NULL
      AND NOT m.l_seq IS NULL
      AND cl.workday_no - cf.workday_no > CAST($p13 AS INT)
      THEN 'SUBMIT'
      ELSE m.s_act
    END AS start_act,
    (
      NOT m.f_seq IS NULL
      AND NOT m.l_seq IS NULL
      AND cl.workday_no - cf.workday_no > CAST($p13 AS INT)
    ) AS fallback_used
  FROM subject AS s
  JOIN marks AS m
    ON m.case_id = s.case_id
  LEFT JOIN calendar AS cf
    ON cf.day = CAST(m.f_ts AS DATE)
  LEFT JOIN calendar AS cl
    ON cl.day = CAST(m.l_ts AS DATE)
), stops AS (
  SELECT
    k.case_id,
    MIN(e.seq) AS stop_seq,
    ARG_MIN(e.ts, e.seq) AS stop_ts,
    ARG_MIN(e.event_id, e.seq) AS stop_id,
    ARG_MIN(e.activity, e.seq) AS stop_act
  FROM clock AS k
  JOIN ev AS e
    ON e.case_id = k.case_id
    AND e.seq > k.start_seq
    AND e.activity IN (CAST($p2 AS TEXT), CAST($p3 AS TEXT))
  GROUP BY
    k.case_id
), bounds AS (
  SELECT
    e.case_id,
    e.seq,
    e.ts,
    e.event_id,
    e.activity,
    CASE
      WHEN e.activity IN (CAST($p8 AS TEXT), CAST($p9 AS TEXT))
      THEN 1
      WHEN e.activity IN (CAST($p10 AS TEXT), CAST($p7 AS TEXT))
      THEN 2
    END AS pair,
    CASE
      WHEN e.activity IN (CAST($p8 AS TEXT), CAST($p10 AS TEXT))
      THEN 'begin'
      ELSE 'end'
    END AS role,
    LAG(
      CASE
        WHEN e.activity IN (CAST($p8 AS TEXT), CAST($p10 AS TEXT))
        THEN 'begin'
        ELSE 'end'
      END
    ) OVER (
      PARTITION BY e.case_id, CASE
        WHEN e.activity IN (CAST($p8 AS TEXT), CAST($p9 AS TEXT))
        THEN 1
        WHEN e.activity IN (CAST($p10 AS TEXT), CAST($p7 AS TEXT))
        THEN 2
      END
      ORDER BY e.seq
    ) AS prev_role
  FROM ev AS e
  JOIN clock AS k
    ON k.case_id = e.case_id AND e.seq >= k.start_seq
  WHERE
    e.activity IN (CAST($p8 AS TEXT), CAST($p9 AS TEXT), CAST($p10 AS TEXT), CAST($p7 AS TEXT))
), pauses AS (
  SELECT
    b.case_id,
    b.seq AS begin_seq,
    b.ts AS begin_ts,
    b.event_id AS begin_id,
    b.activity AS begin_act,
    CASE
      WHEN NOT MIN(x.seq) IS NULL AND (
        st.stop_seq IS NULL OR MIN(x.seq) < st.stop_seq
      )
      THEN ARG_MIN(x.ts, x.seq)
      WHEN NOT st.stop_seq IS NULL
      THEN st.stop_ts
    END AS end_ts,
    CASE
      WHEN NOT MIN(x.seq) IS NULL AND (
        st.stop_seq IS NULL OR MIN(x.seq) < st.stop_seq
      )
      THEN ARG_MIN(x.event_id, x.seq)
      WHEN NOT st.stop_seq IS NULL
      THEN st.stop_id
    END AS end_id,
    CASE
      WHEN NOT MIN(x.seq) IS NULL AND (
        st.stop_seq IS NULL OR MIN(x.seq) < st.stop_seq
      )
      THEN ARG_MIN(x.activity, x.seq)
      WHEN NOT st.stop_seq IS NULL
      THEN st.stop_act
    END AS end_act
  FROM bounds AS b
  LEFT JOIN bounds AS x
    ON x.case_id = b.case_id AND x.pair = b.pair AND x.role = 'end' AND x.seq > b.seq
  LEFT JOIN stops AS st
    ON st.case_id = b.case_id
  WHERE
    b.role = 'begin'
    AND (
      b.prev_role IS NULL OR b.prev_role <> 'begin'
    )
    AND (
      st.stop_seq IS NULL OR b.seq < st.stop_seq
    )
  GROUP BY
    b.case_id,
    b.seq,
    b.ts,
    b.event_id,
    b.activity,
    st.stop_seq,
    st.stop_ts,
    st.stop_id,
    st.stop_act
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
              WHEN p.begin_act = 'REFUSE'
              THEN '不予受理'
              WHEN p.begin_act = 'SUPPLEMENT_NOTICE'
              THEN '补正告知'
              WHEN p.begin_act = 'SUPPLEMENT_RECEIVED'
              THEN '补正接收'
              WHEN p.begin_act = 'SUSPEND'
              THEN '特别程序开始'
              WHEN p.begin_act = 'RESUME'
              THEN '特别程序结束'
              WHEN p.begin_act = 'DECIDE'
              THEN '决定'
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
                    WHEN p.end_act = 'REFUSE'
                    THEN '不予受理'
                    WHEN p.end_act = 'SUPPLEMENT_NOTICE'
                    THEN '补正告知'
                    WHEN p.end_act = 'SUPPLEMENT_RECEIVED'
                    THEN '补正接收'
                    WHEN p.end_act = 'SUSPEND'
                    THEN '特别程序开始'
                    WHEN p.end_act = 'RESUME'
                    THEN '特别程序结束'
                    WHEN p.end_act = 'DECIDE'
                    THEN '决定'
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
              THEN CONCAT(
                ' 暂停 ',
                COALESCE(
                  CAST(CASE
                    WHEN k.unit = 'workday'
                    THEN pe.workday_no - pb.workday_no
                    WHEN k.unit = 'day'
                    THEN DATE_DIFF('DAY', CAST(p.begin_ts AS DATE), CAST(p.end_ts AS DATE))
                    WHEN k.unit = 'month'
                    THEN DATE_DIFF('DAY', CAST(p.begin_ts AS DATE), CAST(p.end_ts AS DATE))
                  END AS TEXT),
                  ''
                ),
                COALESCE(
                  CAST(CASE
                    WHEN k.unit = 'workday'
                    THEN '个工作日'
                    WHEN k.unit = 'day'
                    THEN '日'
                    WHEN k.unit = 'month'
                    THEN '日'
                  END AS TEXT),
                  ''
                )
              )
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
        'paused', CASE
          WHEN k.unit = 'workday'
          THEN pe.workday_no - pb.workday_no
          WHEN k.unit = 'day'
          THEN DATE_DIFF('DAY', CAST(p.begin_ts AS DATE), CAST(p.end_ts AS DATE))
          WHEN k.unit = 'month'
          THEN DATE_DIFF('DAY', CAST(p.begin_ts AS DATE), CAST(p.end_ts AS DATE))
        END
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
), ext AS (
  SELECT
    k.case_id,
    MIN(e.seq) AS ext_seq,
    ARG_MIN(e.ts, e.seq) AS ext_ts,
    ARG_MIN(e.event_id, e.seq) AS ext_id,
    ARG_MIN(e.activity, e.seq) AS ext_act
  FROM clock AS k
  JOIN ev AS e
    ON e.case_id = k.case_id
    AND e.seq > k.start_seq
    AND e.activity IN (CAST($p6 AS TEXT))
  LEFT JOIN stops AS st
    ON st.case_id = k.case_id
  WHERE
    st.stop_seq IS NULL OR e.seq < st.stop_seq
  GROUP BY
    k.case_id
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
    st.stop_ts,
    st.stop_id,
    st.stop_act,
    st.stop_seq IS NULL AS is_open,
    COALESCE(st.stop_ts, CAST($as_of AS TIMESTAMP)) AS end_ts,
    x.ext_id,
    x.ext_ts,
    CASE WHEN NOT x.ext_seq IS NULL THEN CAST($p14 AS INT) ELSE 0 END AS ext_n,
    COALESCE(p.paused_wd, 0) AS paused_wd,
    COALESCE(p.paused_days, 0) AS paused_days,
    COALESCE(p.pause_open, FALSE) AS pause_open,
    p.pause_text,
    p.pause_json,
    cs.workday_no AS start_no,
    ce.workday_no AS end_no,
    cs.version AS calendar_version
  FROM clock AS k
  LEFT JOIN stops AS st
    ON st.case_id = k.case_id
  LEFT JOIN paused AS p
    ON p.case_id = k.case_id
  LEFT JOIN ext AS x
    ON x.case_id = k.case_id
  LEFT JOIN calendar AS cs
    ON cs.day = CAST(k.start_ts AS DATE)
  LEFT JOIN calendar AS ce
    ON ce.day = CAST(COALESCE(st.stop_ts, CAST($as_of AS TIMESTAMP)) AS DATE)
  WHERE
    NOT k.start_seq IS NULL
), measured AS (
  SELECT
    *,
    (
      j.limit_n + j.ext_n
    ) AS limit_total,
    CASE
      WHEN j.unit = 'workday'
      THEN j.paused_wd
      WHEN j.unit = 'day'
      THEN j.paused_days
      WHEN j.unit = 'month'
      THEN j.paused_days
    END AS paused,
    CASE
      WHEN j.unit = 'workday'
      THEN j.end_no - j.start_no - j.paused_wd
      WHEN j.unit = 'day'
      THEN DATE_DIFF('DAY', CAST(j.start_ts AS DATE), CAST(j.end_ts AS DATE)) - j.paused_days
      WHEN j.unit = 'month'
      THEN DATE_DIFF('DAY', CAST(j.start_ts AS DATE), CAST(j.end_ts AS DATE)) - j.paused_days
    END AS used,
    CASE
      WHEN j.unit = 'workday'
      THEN (
        j.limit_n + j.ext_n
      )
      WHEN j.unit = 'day'
      THEN (
        j.limit_n + j.ext_n
      )
      WHEN j.unit = 'month'
      THEN DATE_DIFF(
        'DAY',
        CAST(j.start_ts AS DATE),
        CAST(CAST(CAST(j.start_ts AS DATE) + INTERVAL (j.limit_n + j.ext_n) MONTH AS DATE) + INTERVAL (j.paused_days) DAY AS DATE)
      ) - j.paused_days
    END AS allowed,
    CASE
      WHEN j.unit = 'workday'
      THEN cd.day
      WHEN j.unit = 'day'
      THEN CAST(CAST(j.start_ts AS DATE) + INTERVAL (j.limit_n + j.ext_n + j.paused_days) DAY AS DATE)
      WHEN j.unit = 'month'
      THEN CAST(CAST(CAST(j.start_ts AS DATE) + INTERVAL (j.limit_n + j.ext_n) MONTH AS DATE) + INTERVAL (j.paused_days) DAY AS DATE)
    END AS due
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
      THEN CAST($p15 AS TEXT)
      WHEN m.is_open
      AND (
        (
          m.allowed - m.used
        ) <= CASE
          WHEN m.dept_code = CAST($p16 AS TEXT)
          THEN CAST($p17 AS INT)
          ELSE CAST($p4 AS INT)
        END
        OR m.used >= CASE WHEN m.dept_code = CAST($p16 AS TEXT) THEN NULL ELSE CAST($p5 AS DOUBLE) END * m.allowed
      )
      THEN 'yellow'
    END AS level
  FROM measured AS m
)
SELECT
  CAST($p18 AS TEXT) AS rule_id,
  CAST($p17 AS INT) AS rule_version,
  CAST($p19 AS TEXT) AS violation_code,
  CAST(r.case_id AS TEXT) AS case_id,
  CAST(r.item_code AS TEXT) AS item_code,
  CAST(r.dept_code AS TEXT) AS dept_code,
  CAST(r.source_system AS TEXT) AS source_system,
  CAST('' AS TEXT) AS occurrence,
  CAST(r.level AS TEXT) AS level,
  CAST($p20 AS TEXT) AS category,
  CAST($p21 AS TEXT) AS title,
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
        WHEN r.start_act = 'SUSPEND'
        THEN '特别程序开始'
        WHEN r.start_act = 'RESUME'
        THEN '特别程序结束'
        WHEN r.start_act = 'EXTEND'
        THEN '延期'
        WHEN r.start_act = 'DECIDE'
        THEN '决定'
        ELSE r.start_act
      END AS TEXT),
      ''
    ),
    ' ',
    COALESCE(CAST(STRFTIME(r.start_ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
    ' 起算',
    COALESCE(
      CAST(CASE
        WHEN r.fallback_used
        THEN CONCAT('（补正告知晚于申请/收件超过', COALESCE(CAST(CAST($p13 AS INT) AS TEXT), ''), '个工作日，改自申请/收件起算）')
        ELSE ''
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN NOT r.pause_text IS NULL
        THEN CONCAT('；', COALESCE(CAST(r.pause_text AS TEXT), ''))
        ELSE ''
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN NOT r.ext_id IS NULL
        THEN CONCAT(
          '；延期 ',
          COALESCE(CAST(STRFTIME(r.ext_ts, '%Y-%m-%d %H:%M') AS TEXT), ''),
          ' 加 ',
          COALESCE(CAST(r.ext_n AS TEXT), ''),
          COALESCE(
            CAST(CASE
              WHEN r.unit = 'workday'
              THEN '个工作日'
              WHEN r.unit = 'day'
              THEN '日'
              WHEN r.unit = 'month'
              THEN '个月'
            END AS TEXT),
            ''
          )
        )
        ELSE ''
      END AS TEXT),
      ''
    ),
    '；时限 ',
    COALESCE(CAST(r.limit_n AS TEXT), ''),
    COALESCE(
      CAST(CASE
        WHEN r.ext_n > 0
        THEN CONCAT(
          '+',
          COALESCE(CAST(r.ext_n AS TEXT), ''),
          '=',
          COALESCE(CAST(r.limit_total AS TEXT), '')
        )
        ELSE ''
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN r.unit = 'workday'
        THEN '个工作日'
        WHEN r.unit = 'day'
        THEN '日'
        WHEN r.unit = 'month'
        THEN '个月'
      END AS TEXT),
      ''
    ),
    '（事项承诺时限）；日历 ',
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
          '（尚未决定或不予受理）'
        )
        ELSE CONCAT(
          COALESCE(
            CAST(CASE
              WHEN r.stop_act = 'DECIDE'
              THEN '决定'
              WHEN r.stop_act = 'REFUSE'
              THEN '不予受理'
              ELSE r.stop_act
            END AS TEXT),
            ''
          ),
          ' ',
          COALESCE(CAST(STRFTIME(r.stop_ts, '%Y-%m-%d %H:%M') AS TEXT), '')
        )
      END AS TEXT),
      ''
    ),
    ' 已用 ',
    COALESCE(CAST(r.used AS TEXT), ''),
    COALESCE(
      CAST(CASE
        WHEN r.unit = 'workday'
        THEN '个工作日'
        WHEN r.unit = 'day'
        THEN '日'
        WHEN r.unit = 'month'
        THEN '日'
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN r.paused > 0
        THEN CONCAT(
          '（已扣除暂停 ',
          COALESCE(CAST(r.paused AS TEXT), ''),
          COALESCE(
            CAST(CASE
              WHEN r.unit = 'workday'
              THEN '个工作日'
              WHEN r.unit = 'day'
              THEN '日'
              WHEN r.unit = 'month'
              THEN '日'
            END AS TEXT),
            ''
          ),
          '）'
        )
        ELSE ''
      END AS TEXT),
      ''
    ),
    COALESCE(
      CAST(CASE
        WHEN r.over_by > 0
        THEN CONCAT(
          '，超期 ',
          COALESCE(CAST(r.over_by AS TEXT), ''),
          COALESCE(
            CAST(CASE
              WHEN r.unit = 'workday'
              THEN '个工作日'
              WHEN r.unit = 'day'
              THEN '日'
              WHEN r.unit = 'month'
              THEN '日'
            END AS TEXT),
            ''
          )
        )
        ELSE CONCAT(
          '，剩余 ',
          COALESCE(CAST(-r.over_by AS TEXT), ''),
          COALESCE(
            CAST(CASE
              WHEN r.unit = 'workday'
              THEN '个工作日'
              WHEN r.unit = 'day'
              THEN '日'
              WHEN r.unit = 'month'
              THEN '日'
            END AS TEXT),
            ''
          )
        )
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
