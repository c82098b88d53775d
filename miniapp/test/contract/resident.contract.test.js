// The mini-program's real services/ against the real backend: every resident endpoint the
// pages use, with the fields the pages read. A path or field that drifts fails here.
const path = require('path')
const { createWx, idNumber, phone } = require('./wx-shim')

const MP = path.resolve(__dirname, '../../miniprogram')
const config = require(path.join(MP, 'config'))
const http = require(path.join(MP, 'utils/request'))
const identity = require(path.join(MP, 'services/identity'))
const sms = require(path.join(MP, 'services/sms'))
const cards = require(path.join(MP, 'services/cards'))
const qr = require(path.join(MP, 'services/qr'))
const family = require(path.join(MP, 'services/family'))
const catalog = require(path.join(MP, 'services/catalog'))
const booking = require(path.join(MP, 'services/booking'))
const payments = require(path.join(MP, 'services/payments'))
const queueing = require(path.join(MP, 'services/queueing'))
const audit = require(path.join(MP, 'services/audit'))
const notifications = require(path.join(MP, 'services/notifications'))
const { pay } = require(path.join(MP, 'utils/pay'))
const { scheduleRow, bookingRow } = require(path.join(MP, 'utils/labels'))
const { qrMatrix } = require(path.join(MP, 'utils/qr-draw'))
const { shanghaiDate, formatDateTime } = require(path.join(MP, 'utils/time'))

const BASE = process.env.EHEALTH_CONTRACT_BASE
const keys = (o) => Object.keys(o).sort()
const CARD_KEYS = ['card_id', 'id_masked', 'is_self', 'name_masked', 'owner', 'phone_masked', 'relation', 'status']

async function serviceNow() {
  return (await (await fetch(`${BASE}/api/v1/dev/clock`)).json()).now
}

async function claimOwnCard(name) {
  const ph = phone()
  const sent = await sms.sendSmsCode(ph, 'claim_card')
  return cards.claimCard({ name, idNumber: idNumber(), phone: ph, smsCode: sent.dev_code })
}

beforeAll(() => {
  config.set({ apiBase: `${BASE}/api/v1`, devPayments: true })
})

test('login, claim, family, QR codes, token refresh and logout', async () => {
  const wx = (global.wx = createWx('contract-alice'))
  const login = await identity.wxLogin()
  expect(keys(login)).toEqual(expect.arrayContaining(['token', 'expires_in', 'account_id']))
  expect((await identity.getMe()).account_id).toBe(login.account_id)

  // claim: a wrong SMS code first, then the right one
  const ph = phone()
  const id = idNumber()
  const sent = await sms.sendSmsCode(ph, 'claim_card')
  expect(sent).toMatchObject({ sent: true, retry_after: 60 })
  expect(sent.dev_code).toMatch(/^\d{6}$/)
  const wrong = await cards
    .claimCard({ name: '张三', idNumber: id, phone: ph, smsCode: sent.dev_code === '000000' ? '111111' : '000000' })
    .catch((e) => e)
  expect([wrong.status, wrong.code, wrong.details.attempts_left]).toEqual([400, 'invalid_sms_code', 4])
  expect(wrong.message).toBe('短信验证码不正确，还可再试4次')
  const resend = await sms.sendSmsCode(ph, 'claim_card').catch((e) => e)
  expect([resend.status, resend.code, resend.details.rule]).toEqual([429, 'limit_exceeded', 'sms_resend_interval'])
  expect(resend.message).toContain('60秒内不能重复获取')
  const card = await cards.claimCard({ name: '张三', idNumber: id, phone: ph, smsCode: sent.dev_code })
  expect(keys(card)).toEqual(CARD_KEYS)
  expect(card).toMatchObject({ name_masked: '张*', is_self: true, relation: 'self', owner: 'self', status: 'active' })
  expect(card.id_masked).toBe(`${id.slice(0, 4)}**********${id.slice(14)}`)

  // family: add a child, see the 45-day lock as a date, be refused removal with it
  const childPhone = phone()
  const childCode = (await sms.sendSmsCode(childPhone, 'add_family')).dev_code
  const member = await family.addFamilyMember({
    name: '张小宝',
    idNumber: idNumber(2018),
    phone: childPhone,
    relation: 'child',
    smsCode: childCode,
  })
  expect(keys(member)).toEqual(['card', 'linked_at', 'member_id', 'relation', 'removable_at'])
  expect(keys(member.card)).toEqual(CARD_KEYS)
  expect(member.card.owner).toBe('none') // a child's card made by the link: nobody owns it
  // the start of the 45th business day after linking (Asia/Shanghai)
  expect(shanghaiDate(Date.parse(member.removable_at))).toBe(shanghaiDate(Date.parse(member.linked_at), 45))
  expect(formatDateTime(member.removable_at).endsWith(' 00:00')).toBe(true)
  expect((await family.listFamily()).map((m) => m.member_id)).toEqual([member.member_id])
  const locked = await family.removeFamilyMember(member.member_id).catch((e) => e)
  expect([locked.status, locked.code, locked.details.removable_at]).toEqual([
    409,
    'removal_locked',
    member.removable_at,
  ])
  const list = await cards.listCards()
  expect(list.map((c) => c.relation)).toEqual(['self', 'child'])
  expect(await cards.getCard(member.card.card_id)).toEqual(list[1])

  // QR: the dynamic payload in the national layout, drawable; the static one identifies
  const dynamic = await qr.getQrCode(card.card_id, 'dynamic')
  expect(dynamic.payload).toMatch(new RegExp(`^${card.card_id}:0:[0-9a-f]{32}$`))
  expect(dynamic.kind).toBe('dynamic')
  expect(dynamic.refresh_in).toBeGreaterThan(0)
  expect(dynamic.refresh_in).toBeLessThanOrEqual(60)
  expect(Date.parse(dynamic.expires_at)).toBeGreaterThan(Date.parse(await serviceNow()))
  expect(qrMatrix(dynamic.payload).length).toBeGreaterThanOrEqual(21)
  expect(await qr.getQrCode(member.card.card_id, 'static')).toEqual({
    payload: `${member.card.card_id}:1`,
    kind: 'static',
    expires_at: null,
    refresh_in: null,
  })
  expect(await audit.listScanHistory(card.card_id)).toEqual([])
  expect(await notifications.listNotifications()).toEqual({ items: [], next_before: null, unread: 0 })

  // another account cannot use these cards
  global.wx = createWx('contract-mallory')
  const foreign = await qr.getQrCode(card.card_id, 'dynamic').catch((e) => e)
  expect([foreign.status, foreign.code]).toEqual([404, 'not_found'])
  global.wx = wx

  // a token the service no longer knows: the wrapper logs in again once and carries on
  wx.setStorageSync(http.TOKEN_KEY, 'forged-token')
  const logins = wx.logins
  expect((await cards.listCards()).length).toBe(2)
  expect(wx.logins).toBe(logins + 1)
  // logging out revokes the token on the service
  const token = wx.getStorageSync(http.TOKEN_KEY)
  await identity.logout()
  const revoked = await fetch(`${BASE}/api/v1/cards`, { headers: { Authorization: `Bearer ${token}` } })
  expect(revoked.status).toBe(401)
  expect((await revoked.json()).error.code).toBe('invalid_token')
})

test('browse, hold, pay, booking, queue, cancel; a released hold', async () => {
  global.wx = createWx('contract-bob')
  const card = await claimOwnCard('李四')
  const hospitals = await catalog.listHospitals()
  expect(keys(hospitals[0])).toEqual(expect.arrayContaining(['id', 'name', 'release_time']))
  const departments = await catalog.listDepartments(hospitals[0].id)
  expect(keys(departments[0])).toEqual(expect.arrayContaining(['id', 'name']))
  const now = await serviceNow()
  const tomorrow = shanghaiDate(Date.parse(now), 1)
  const sessions = await catalog.listSchedules(departments[0].id, tomorrow)
  expect(sessions.length).toBeGreaterThan(1)
  const contract = [
    'id',
    'doctor',
    'date',
    'start',
    'end',
    'capacity',
    'remaining',
    'fee_fen',
    'release_at',
    'referral_release_at',
    'status',
  ]
  sessions.forEach((s) => {
    expect(keys(s)).toEqual(expect.arrayContaining(contract))
    expect(s.date).toBe(tomorrow)
    expect(['not_released', 'open', 'full', 'ended', 'suspended']).toContain(s.status)
  })
  const open = sessions.filter((s) => scheduleRow(s).bookable && s.fee_fen > 0)
  expect(open.length).toBeGreaterThan(1)
  const [session, other] = open
  expect(scheduleRow(session).note).toBe(`剩余 ${session.remaining}`)
  expect(await catalog.getSchedule(session.id)).toEqual(session)

  // hold -> pay (the stand-in pays, as the page does in dev) -> the booking with its number
  const hold = await booking.placeHold(session.id, card.card_id)
  expect(keys(hold)).toEqual(expect.arrayContaining(['hold_id', 'expires_at', 'amount_fen']))
  expect(hold.amount_fen).toBe(session.fee_fen)
  expect(Date.parse(hold.expires_at) - Date.parse(await serviceNow())).toBeGreaterThan(9 * 60000)
  expect((await booking.getHold(hold.hold_id)).state).toBe('held')
  const again = await booking.placeHold(session.id, card.card_id).catch((e) => e)
  expect([again.status, again.code, again.details.state, again.details.hold_id]).toEqual([
    409,
    'already_held',
    'held',
    hold.hold_id,
  ])
  const order = await payments.payHold(hold.hold_id)
  expect(keys(order.pay_params)).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp'])
  expect(await pay({ outTradeNo: order.out_trade_no, payParams: order.pay_params })).toBe('paid')
  const payment = await payments.getPayment(order.out_trade_no)
  expect(payment).toMatchObject({ status: 'booked', amount_fen: session.fee_fen })
  const booked = await booking.getBooking(payment.booking_id)
  expect(booked).toMatchObject({ status: 'confirmed', card_id: card.card_id, amount_fen: session.fee_fen })
  const row = bookingRow(booked)
  expect(row.visitNumber).toBeGreaterThanOrEqual(1)
  expect(row.cancellable).toBe(true)
  expect(row.hospital).toBe(hospitals[0].name)
  expect((await booking.listBookings()).map((b) => b.id)).toEqual([booked.id])
  expect((await catalog.getSchedule(session.id)).remaining).toBe(session.remaining - 1)

  const queue = await queueing.getBookingQueue(booked.id)
  expect(keys(queue)).toEqual(['ahead', 'called_number', 'status', 'your_number'])
  expect(queue).toMatchObject({ your_number: booked.visit_number, status: 'not_checked_in' })

  const cancelled = await booking.cancelBooking(booked.id)
  expect(cancelled.status).toBe('cancelled')
  expect(cancelled.refund.amount_fen).toBe(session.fee_fen)
  expect(bookingRow(cancelled).refund).toContain(`¥${(session.fee_fen / 100).toFixed(2)}`)
  expect((await catalog.getSchedule(session.id)).remaining).toBe(session.remaining)

  // a hold given back before paying
  const second = await booking.placeHold(other.id, card.card_id)
  expect(await booking.releaseHold(second.hold_id)).toBeNull()
  const gone = await payments.payHold(second.hold_id).catch((e) => e)
  expect(gone.status === 404 || gone.status === 409).toBe(true)

  // refusals read as sentences
  const unknownCard = await booking.placeHold(session.id, 'f'.repeat(64)).catch((e) => e)
  expect([unknownCard.status, unknownCard.code, unknownCard.message]).toEqual([
    404,
    'card_not_found',
    '没有找到这张健康卡',
  ])
})

// A clinic terminal's side, signed as backend/staff/signing.py does, to move the queue.
async function terminalRequest(terminal, method, urlPath, body) {
  const crypto = require('crypto')
  const ts = String(Math.floor(Date.parse(await serviceNow()) / 1000))
  const nonce = crypto.randomBytes(16).toString('hex')
  const raw = body === undefined ? '' : JSON.stringify(body)
  const hash = crypto.createHash('sha256').update(raw).digest('hex')
  const sig = crypto
    .createHmac('sha256', terminal.secret)
    .update([method, urlPath, ts, nonce, hash].join('\n'))
    .digest('hex')
  const res = await fetch(`${BASE}${urlPath}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'X-Terminal-Id': terminal.terminal_code,
      'X-Timestamp': ts,
      'X-Nonce': nonce,
      'X-Signature': sig,
    },
    body: raw || undefined,
  })
  return { status: res.status, body: await res.json() }
}

test('on the visit day: the code shown is checked in at the clinic, the queue calls my number, the scan is in my log', async () => {
  global.wx = createWx('contract-carol')
  const card = await claimOwnCard('赵六')
  const hospital = (await catalog.listHospitals())[0]
  const department = (await catalog.listDepartments(hospital.id))[1]
  const tomorrow = shanghaiDate(Date.parse(await serviceNow()), 1)
  const session = (await catalog.listSchedules(department.id, tomorrow)).find((s) => scheduleRow(s).bookable)
  const hold = await booking.placeHold(session.id, card.card_id)
  const order = await payments.payHold(hold.hold_id)
  await pay({ outTradeNo: order.out_trade_no, payParams: order.pay_params })
  const booked = await booking.getBooking((await payments.getPayment(order.out_trade_no)).booking_id)

  const admin = await fetch(`${BASE}/api/v1/admin/terminals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', Authorization: 'Bearer dev-admin-token' },
    body: JSON.stringify({ hospital_id: hospital.id, name: '门诊一楼 1号机' }),
  })
  expect(admin.status).toBe(201)
  const terminal = await admin.json()
  const setClock = (body) =>
    fetch(`${BASE}/api/v1/dev/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  await setClock({ now: `${tomorrow}T07:50:00+08:00` })
  try {
    const code = await qr.getQrCode(card.card_id, 'dynamic')
    const checkin = await terminalRequest(terminal, 'POST', '/api/v1/staff/checkins', {
      payload: code.payload,
      booking_id: booked.id,
    })
    expect(checkin.status).toBe(200)
    expect(checkin.body.visit_number).toBe(booked.visit_number)
    const waiting = await queueing.getBookingQueue(booked.id)
    expect(waiting).toMatchObject({ your_number: booked.visit_number, status: 'waiting', ahead: 0 })
    const called = await terminalRequest(terminal, 'POST', `/api/v1/staff/schedules/${session.id}/call-next`)
    expect(called.body.called_number).toBe(booked.visit_number)
    expect(await queueing.getBookingQueue(booked.id)).toMatchObject({
      called_number: booked.visit_number,
      your_number: booked.visit_number,
      status: 'called',
    })
    const log = await audit.listScanHistory(card.card_id)
    expect(log[0]).toMatchObject({
      action: 'checkin',
      result: 'ok',
      hospital: { id: hospital.id, name: hospital.name },
      terminal: { name: '门诊一楼 1号机' },
    })
  } finally {
    await setClock({})
  }
})
