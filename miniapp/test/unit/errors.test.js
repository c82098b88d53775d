// Every error code the backend can answer has a Chinese sentence. The codes are read from the
// backend's source, so a new code there fails this test until the table has it.
const fs = require('fs')
const path = require('path')
const { SENTENCES, LIMIT_RULES, sentenceFor } = require('../../miniprogram/utils/errors')

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
    for (const m of src.matchAll(/^\s+"([a-z_]+)": \(\d{3}, "/gm)) codes.add(m[1]) // refusal tables: "code": (status, message)
    for (const m of src.matchAll(/^\s+"([a-z_]+)": \([A-Z][A-Za-z]+, "/gm)) codes.add(m[1]) // refusal tables: "code": (ErrorClass, message)
    for (const m of src.matchAll(/^\s+\d{3}: "([a-z_]+)",/gm)) codes.add(m[1]) // Sanic status -> code table
    for (const m of src.matchAll(/error_response\(\d{3}, "([a-z_]+)"/g)) codes.add(m[1])
    for (const m of src.matchAll(/\brule\s*=\s*"([a-z_]+)"/g)) rules.add(m[1])
    for (const m of src.matchAll(/^\s+"([a-z_]+)": "[^"]+",?$/gm)) if (/LIMIT_MESSAGES/.test(src)) rules.add(m[1])
    // invalid_{field} of the identity checks
    if (/code=f"invalid_\{exc\.field\}"/.test(src)) ['name', 'id_number', 'phone'].forEach((f) => codes.add(`invalid_${f}`))
    // sms_{reason} of the SMS send limits
    for (const m of src.matchAll(/SendDecision\(False, "([a-z_]+)"/g)) rules.add(`sms_${m[1]}`)
  })
  // card fields refused by the identity rules
  const cardRules = fs.readFileSync(path.join(BACKEND, 'cards/rules.py'), 'utf8')
  for (const m of cardRules.matchAll(/InvalidIdentity\("([a-z_]+)"/g)) codes.add(`invalid_${m[1]}`)
  return { codes, rules }
}

const NOT_ERROR_CODES = new Set([]) // literals of `code="..."` that are not error codes (none today)

test('the backend source yields the codes we know of (the extraction itself works)', () => {
  const { codes, rules } = backendCodes()
  ;['removal_locked', 'sold_out', 'not_released', 'invalid_sms_code', 'qr_reused', 'invalid_id_number', 'method_not_allowed', 'internal'].forEach((c) => expect(codes).toContain(c))
  ;['daily_limit', 'no_show_ban', 'sms_resend_interval', 'sms_ip_hourly'].forEach((r) => expect(rules).toContain(r))
})

test('every backend error code and limit rule has a Chinese sentence', () => {
  const { codes, rules } = backendCodes()
  const missing = [...codes].filter((c) => !NOT_ERROR_CODES.has(c) && !SENTENCES[c])
  expect(missing).toEqual([])
  const missingRules = [...rules].filter((r) => !LIMIT_RULES[r])
  expect(missingRules).toEqual([])
  Object.values(SENTENCES).concat(Object.values(LIMIT_RULES)).forEach((s) => expect(s).toMatch(/[\u4e00-\u9fff]/))
})

test('details of an error make the sentence precise', () => {
  expect(sentenceFor({ code: 'removal_locked', removable_at: '2027-01-09T10:00:00+08:00' }, 409)).toContain('2027-01-09 10:00 起可解除')
  expect(sentenceFor({ code: 'limit_exceeded', rule: 'no_show_ban', until: '2026-12-25T10:00:00+08:00' }, 429)).toBe('12个月内爽约3次，30天内不能预约，2026-12-25 10:00 后可再试')
  expect(sentenceFor({ code: 'not_released', release_at: '2026-11-26T13:00:00+08:00' }, 403)).toBe('该号源将于 2026-11-26 13:00 放号')
  expect(sentenceFor({ code: 'invalid_sms_code', attempts_left: 2 }, 400)).toBe('短信验证码不正确，还可再试2次')
  expect(sentenceFor({ code: 'phone_mismatch', phone_masked: '138****8000' }, 409))
    .toBe('该证件已登记手机号 138****8000，请使用该手机号接收验证码')
  expect(sentenceFor({ code: 'phone_mismatch' }, 409)).toBe('该证件已登记其他手机号，请使用登记的手机号接收验证码')
  expect(sentenceFor({ code: 'owner_only' }, 403)).toContain('只有本人')
  expect(sentenceFor({ code: 'same_phone' }, 409)).toContain('相同')
  expect(sentenceFor({ code: 'something_new' }, 404)).toBe('没有找到相关记录')
  expect(sentenceFor({}, 502)).toBe('服务出现异常，请稍后再试')
})
