// The texts both clients share (clients/shared/texts.js, here as the mini-program's copy) match
// the backend's source both ways: every error code, limit rule, status and message kind the
// backend has gets a Chinese text, and no text is kept for one the backend no longer has. The
// failure message names the codes to add or remove.
const fs = require('fs')
const path = require('path')
const { sentenceFor } = require('../../miniprogram/utils/errors')
const {
  ERROR_SENTENCES,
  CLIENT_ERROR_SENTENCES,
  LIMIT_RULES,
  STATUS_LABELS,
  MESSAGE_KINDS,
  RELATIONS,
} = require('../../miniprogram/miniprogram_npm/ehealth-shared/texts.js')

const BACKEND = path.resolve(__dirname, '../../../backend')

function pythonFiles(dir, out = []) {
  fs.readdirSync(dir, { withFileTypes: true }).forEach((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) pythonFiles(full, out)
    else if (e.name.endsWith('.py')) out.push(full)
  })
  return out
}

function backendCodes() {
  const codes = new Set()
  const rules = new Set()
  pythonFiles(BACKEND).forEach((file) => {
    const src = fs.readFileSync(file, 'utf8')
    for (const m of src.matchAll(/\bcode\s*=\s*"([a-z_]+)"/g)) codes.add(m[1]) // raise X(..., code="...") and class defaults
    for (const m of src.matchAll(/\bcode\s*=\s*"[a-z_]+"\s+if\b[^\n]*\belse\s+"([a-z_]+)"/g)) codes.add(m[1]) // code = "a" if ... else "b"
    for (const m of src.matchAll(/^\s+"([a-z_]+)": \(\d{3}, "/gm)) codes.add(m[1]) // refusal tables: "code": (status, message)
    for (const m of src.matchAll(/^\s+"([a-z_]+)": \([A-Z][A-Za-z]+, "/gm)) codes.add(m[1]) // refusal tables: "code": (ErrorClass, message)
    for (const m of src.matchAll(/^\s+\d{3}: "([a-z_]+)",/gm)) codes.add(m[1]) // Sanic status -> code table
    for (const m of src.matchAll(/error_response\(\d{3}, "([a-z_]+)"/g)) codes.add(m[1])
    for (const m of src.matchAll(/\brule\s*=\s*"([a-z_]+)"/g)) rules.add(m[1])
    for (const m of src.matchAll(/^\s+"([a-z_]+)": "[^"]+",?$/gm)) if (/LIMIT_MESSAGES/.test(src)) rules.add(m[1])
    // invalid_{field} of the identity checks
    if (/code=f"invalid_\{exc\.field\}"/.test(src))
      ['name', 'id_number', 'phone'].forEach((f) => codes.add(`invalid_${f}`))
    // sms_{reason} of the SMS send limits
    for (const m of src.matchAll(/SendDecision\(False, "([a-z_]+)"/g)) rules.add(`sms_${m[1]}`)
  })
  // card fields refused by the identity rules
  const cardRules = fs.readFileSync(path.join(BACKEND, 'cards/rules.py'), 'utf8')
  for (const m of cardRules.matchAll(/InvalidIdentity\("([a-z_]+)"/g)) codes.add(`invalid_${m[1]}`)
  return { codes, rules }
}

// Every `class X(StrEnum)` of backend/*/rules.py with its values, and the queue positions the
// queueing service answers (plain strings there, not an enum)
function backendStatuses() {
  const enums = {}
  fs.readdirSync(BACKEND, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .forEach((dir) => {
      const rules = path.join(BACKEND, dir.name, 'rules.py')
      if (!fs.existsSync(rules)) return
      const src = fs.readFileSync(rules, 'utf8')
      for (const m of src.matchAll(/^class (\w+)\(StrEnum\):\n((?:[ \t]+.*\n|[ \t]*\n)+)/gm)) {
        enums[m[1]] = [...m[2].matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"/gm)].map((v) => v[1])
      }
    })
  const queue = new Set()
  pythonFiles(path.join(BACKEND, 'queueing')).forEach((file) => {
    const src = fs.readFileSync(file, 'utf8')
    for (const m of src.matchAll(/\bstatus(?:, ahead)?\s*=\s*"([a-z_]+)"/g)) queue.add(m[1])
  })
  enums.QueueStatus = [...queue]
  return enums
}

function backendMessageKinds() {
  const kinds = new Set()
  pythonFiles(BACKEND).forEach((file) => {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/\bkind="([a-z_]+)"/g)) kinds.add(m[1])
  })
  // the catalogue of kinds (backend/notifications/kinds.py), some written by other domains
  const catalogue = fs.readFileSync(path.join(BACKEND, 'notifications', 'kinds.py'), 'utf8')
  for (const m of catalogue.matchAll(/\bKind\(\s*"([a-z_]+)"/g)) kinds.add(m[1])
  return kinds
}

function mustBeEmpty(list, what) {
  if (list.length) throw new Error(`${what}: ${[...list].sort().join(', ')}`)
}

const SHARED = 'clients/shared/texts.js'

test('the backend source yields the codes, statuses and kinds we know of (the extraction itself works)', () => {
  const { codes, rules } = backendCodes()
  ;[
    'removal_locked',
    'sold_out',
    'not_released',
    'invalid_sms_code',
    'qr_reused',
    'invalid_id_number',
    'method_not_allowed',
    'internal',
  ].forEach((c) => expect(codes).toContain(c))
  ;['daily_limit', 'no_show_ban', 'sms_resend_interval', 'sms_ip_hourly'].forEach((r) => expect(rules).toContain(r))
  const statuses = backendStatuses()
  expect(statuses.BookingStatus).toEqual(expect.arrayContaining(['confirmed', 'cancelled', 'no_show']))
  expect(statuses.PaymentStatus).toEqual(expect.arrayContaining(['created', 'paid', 'refunded']))
  expect(statuses.QueueStatus).toEqual(
    expect.arrayContaining(['not_checked_in', 'waiting', 'called', 'done', 'cancelled']),
  )
  expect(Object.keys(statuses).length).toBeGreaterThanOrEqual(10)
  expect(backendMessageKinds()).toContain('schedule_suspended')
})

test('every backend error code has a sentence, and every sentence a backend code', () => {
  const { codes } = backendCodes()
  mustBeEmpty(
    [...codes].filter((c) => !ERROR_SENTENCES[c]),
    `error codes of the backend with no sentence in ${SHARED}`,
  )
  mustBeEmpty(
    Object.keys(ERROR_SENTENCES).filter((c) => !codes.has(c)),
    `sentences in ${SHARED} for codes the backend no longer has`,
  )
  mustBeEmpty(
    Object.keys(CLIENT_ERROR_SENTENCES).filter((c) => codes.has(c)),
    'client-only codes the backend answers too',
  )
})

test('every limit rule of the backend has a sentence, and every sentence a rule', () => {
  const { rules } = backendCodes()
  mustBeEmpty(
    [...rules].filter((r) => !LIMIT_RULES[r]),
    `limit rules of the backend with no sentence in ${SHARED}`,
  )
  mustBeEmpty(
    Object.keys(LIMIT_RULES).filter((r) => !rules.has(r)),
    `sentences in ${SHARED} for limit rules the backend no longer has`,
  )
})

test('every status of every backend enum has a label, and no label is kept for a status that does not exist', () => {
  const enums = backendStatuses()
  const problems = []
  Object.entries(enums).forEach(([name, values]) => {
    const labels = STATUS_LABELS[name]
    if (!labels) return problems.push(`${name} (no table)`)
    values.filter((v) => !labels[v]).forEach((v) => problems.push(`${name}.${v} (no label)`))
    Object.keys(labels)
      .filter((v) => !values.includes(v))
      .forEach((v) => problems.push(`${name}.${v} (not in the backend)`))
  })
  Object.keys(STATUS_LABELS)
    .filter((name) => !enums[name])
    .forEach((name) => problems.push(`${name} (no such enum)`))
  mustBeEmpty(problems, `statuses out of step between the backend and ${SHARED}`)
})

test('every kind of message the backend sends has a title and body, and no other kind is described', () => {
  const kinds = backendMessageKinds()
  mustBeEmpty(
    [...kinds].filter((k) => !MESSAGE_KINDS[k]),
    `message kinds with no text in ${SHARED}`,
  )
  mustBeEmpty(
    Object.keys(MESSAGE_KINDS).filter((k) => !kinds.has(k)),
    `texts in ${SHARED} for message kinds the backend no longer sends`,
  )
})

test('every relation of the backend has a label (and "self" for the own card)', () => {
  const src = fs.readFileSync(path.join(BACKEND, 'cards/rules.py'), 'utf8')
  const relations = [...(/^RELATIONS = \(([^)]*)\)/m.exec(src) || ['', ''])[1].matchAll(/"([a-z_]+)"/g)].map(
    (m) => m[1],
  )
  expect(relations.length).toBeGreaterThan(3)
  expect(Object.keys(RELATIONS).sort()).toEqual(relations.concat('self').sort())
})

test('every text is Chinese', () => {
  const all = [
    ERROR_SENTENCES,
    CLIENT_ERROR_SENTENCES,
    LIMIT_RULES,
    RELATIONS,
    ...Object.values(STATUS_LABELS),
  ].flatMap((table) => Object.values(table))
  all.concat(Object.values(MESSAGE_KINDS).map((k) => k.title)).forEach((s) => expect(s).toMatch(/[\u4e00-\u9fff]/))
})

test('details of an error make the sentence precise', () => {
  expect(sentenceFor({ code: 'removal_locked', removable_at: '2027-01-09T10:00:00+08:00' }, 409)).toContain(
    '2027-01-09 10:00 起可解除',
  )
  expect(sentenceFor({ code: 'limit_exceeded', rule: 'no_show_ban', until: '2026-12-25T10:00:00+08:00' }, 429)).toBe(
    '12个月内爽约3次，30天内不能预约，2026-12-25 10:00 后可再试',
  )
  expect(sentenceFor({ code: 'not_released', release_at: '2026-11-26T13:00:00+08:00' }, 403)).toBe(
    '该号源将于 2026-11-26 13:00 放号',
  )
  expect(sentenceFor({ code: 'invalid_sms_code', attempts_left: 2 }, 400)).toBe('短信验证码不正确，还可再试2次')
  expect(sentenceFor({ code: 'phone_mismatch', phone_masked: '138****8000' }, 409)).toBe(
    '该证件已登记手机号 138****8000，请使用该手机号接收验证码',
  )
  expect(sentenceFor({ code: 'phone_mismatch' }, 409)).toBe('该证件已登记其他手机号，请使用登记的手机号接收验证码')
  expect(sentenceFor({ code: 'owner_only' }, 403)).toContain('只有本人')
  expect(sentenceFor({ code: 'same_phone' }, 409)).toContain('相同')
  expect(sentenceFor({ code: 'something_new' }, 404)).toBe('没有找到相关记录')
  expect(sentenceFor({ code: 'network' }, 0)).toBe('网络连接失败，请检查网络后重试')
  expect(sentenceFor({}, 502)).toBe('服务出现异常，请稍后再试')
})
