const { createFakeWx, apiError } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }

test('hospital -> department -> sessions of a date, with remaining slots, status and release time', async () => {
  const fake = (global.wx = createFakeWx({
    routes: {
      // the service's clock: a day and a minute before the release (the phone's clock is whatever it is)
      'GET /health': { status: 'ok', time: '2026-11-25T12:59:00+08:00' },
      'GET /hospitals': [{ id: 1, code: 'H1', name: '市第一人民医院', release_time: '13:00', status: 'active' }],
      'GET /hospitals/1/departments': [{ id: 2, hospital_id: 1, code: 'D1', name: '心内科' }],
      'GET /departments/2/schedules': ({ query }) =>
        query.date === '2026-12-03'
          ? [F.schedule({ id: 12, status: 'not_released', remaining: 10, release_at: '2026-11-26T13:00:00+08:00' })]
          : [
              F.schedule(),
              F.schedule({ id: 13, status: 'full', remaining: 0 }),
              F.schedule({ id: 14, status: 'suspended', remaining: 0 }),
            ],
    },
  }))
  const hospitals = await renderPage('pages/booking/hospitals/index')
  expect(text(hospitals)).toContain('每日 13:00 放出第7天的号源')
  hospitals.instance.onPick({ currentTarget: { dataset: { id: 1, name: '市第一人民医院' } } })
  expect(fake.calls.navigations.pop()).toBe(
    `/pages/booking/departments/index?hospital_id=1&hospital_name=${encodeURIComponent('市第一人民医院')}`,
  )
  const departments = await renderPage('pages/booking/departments/index', {
    hospital_id: '1',
    hospital_name: encodeURIComponent('市第一人民医院'),
  })
  expect(text(departments)).toContain('心内科')

  const page = await renderPage('pages/booking/schedules/index', {
    department_id: '2',
    department_name: encodeURIComponent('心内科'),
    date: '2026-11-27',
  })
  expect(page.instance.data.dates).toHaveLength(10)
  const t = text(page)
  expect(t).toContain('王医生')
  expect(t).toContain('剩余 4')
  expect(t).toContain('¥25.50')
  expect(t).toContain('已约满')
  expect(t).toContain('停诊')
  expect(fake.calls.requests.pop().query).toEqual({ date: '2026-11-27' })
  page.instance.onPick({ currentTarget: { dataset: { id: 13 } } })
  expect(fake.calls.toasts.pop()).toBe('已约满')
  page.instance.onPick({ currentTarget: { dataset: { id: 11 } } })
  expect(fake.calls.navigations.pop()).toBe('/pages/booking/confirm/index?schedule_id=11')

  await page.instance.onDate({ currentTarget: { dataset: { date: '2026-12-03' } } })
  await settle()
  expect(text(page)).toContain('2026-11-26 13:00 放号')
  page.instance.onPick({ currentTarget: { dataset: { id: 12 } } })
  expect(fake.calls.toasts.pop()).toBe('2026-11-26 13:00 放号')
  page.instance.onUnload()
})

// A phone whose clock is off: the service says 12:58, so the release at 13:00 is two minutes
// away, whatever the phone's own clock says (here: the test machine's real date).
test('the release countdown runs on the service clock, not the phone clock', async () => {
  global.wx = createFakeWx({
    routes: {
      'GET /health': { status: 'ok', time: '2026-11-26T12:58:00+08:00' },
      'GET /departments/2/schedules': [
        F.schedule({ id: 12, status: 'not_released', remaining: 10, release_at: '2026-11-26T13:00:00+08:00' }),
      ],
    },
  })
  const page = await renderPage('pages/booking/schedules/index', { department_id: '2', date: '2026-11-27' })
  expect(page.instance.data.dates[0]).toMatchObject({ date: '2026-11-26', weekday: '今天' })
  expect(text(page)).toMatch(/(02:00|01:59) 后放号/)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  expect(text(page)).toMatch(/(01:59|01:58) 后放号/)
  page.instance.onUnload()
})

test('the hold countdown runs on the service clock: a phone two minutes fast still sees ten minutes', async () => {
  const phoneAheadMs = 120000
  const serverNow = Date.now() - phoneAheadMs
  global.wx = createFakeWx({
    routes: confirmRoutes({
      'GET /health': { status: 'ok', time: new Date(serverNow).toISOString() },
      'POST /holds': ({ data }) => ({
        hold_id: 'h'.repeat(24),
        expires_at: new Date(serverNow + 600000).toISOString(),
        amount_fen: 2550,
        kind: 'ordinary',
        schedule_id: data.schedule_id,
        card_id: data.card_id,
      }),
    }),
  })
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  await page.instance.onHold()
  await settle()
  expect(text(page)).toMatch(/请在 (10:00|09:59) 内完成支付/)
  page.instance.onUnload()
})

function confirmRoutes(extra) {
  return Object.assign(
    {},
    LOGIN,
    {
      'GET /schedules/11': F.schedule(),
      'GET /cards': [F.selfCard, F.childCard],
      'POST /holds': ({ data }) => ({
        hold_id: 'h'.repeat(24),
        expires_at: new Date(Date.now() + 600000).toISOString(),
        amount_fen: 2550,
        kind: 'ordinary',
        schedule_id: data.schedule_id,
        card_id: data.card_id,
      }),
      ['POST /holds/' + 'h'.repeat(24) + '/payment']: {
        out_trade_no: 'EH1',
        amount_fen: 2550,
        expires_at: '2026-11-25T10:10:00+08:00',
        status: 'created',
        pay_params: {
          appId: 'wx1',
          timeStamp: '1',
          nonceStr: 'n',
          package: 'prepay_id=p',
          signType: 'RSA',
          paySign: 's',
        },
      },
      'POST /dev/payments/EH1/complete': { out_trade_no: 'EH1', outcome: 'booked' },
    },
    extra,
  )
}

test('hold for a family member, a countdown, then pay through the dev stand-in and see the result', async () => {
  const fake = (global.wx = createFakeWx({ routes: confirmRoutes() }))
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  const p = page.instance
  expect(p.data.cardId).toBe(F.SELF_ID) // own card first
  p.onCard({ detail: { cardId: F.CHILD_ID } })
  await p.onHold()
  await settle()
  expect(fake.calls.requests.find((r) => r.path === '/holds').data).toEqual({ schedule_id: 11, card_id: F.CHILD_ID })
  expect(text(page)).toMatch(/请在 (10:00|09:5\d) 内完成支付/)
  expect(text(page)).toContain('支付 ¥25.50')
  p.onCard({ detail: { cardId: F.SELF_ID } }) // a held slot keeps its card
  expect(p.data.cardId).toBe(F.CHILD_ID)
  await p.onPay()
  expect(fake.calls.modals.pop().title).toBe('开发环境模拟支付')
  expect(fake.calls.requests.some((r) => r.path === '/dev/payments/EH1/complete')).toBe(true)
  expect(fake.calls.payments).toHaveLength(0)
  expect(fake.calls.redirects).toEqual(['/pages/booking/result/index?out_trade_no=EH1'])
  p.onUnload()
})

test('outside dev, wx.requestPayment gets the pay_params; a cancelled payment keeps the hold', async () => {
  const fake = (global.wx = createFakeWx({ routes: confirmRoutes() }))
  fake.getAccountInfoSync = () => ({ miniProgram: { envVersion: 'release' } })
  fake.paymentOutcome = 'cancel'
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  await page.instance.onHold()
  await page.instance.onPay()
  expect(fake.calls.payments[0]).toMatchObject({ package: 'prepay_id=p', paySign: 's', signType: 'RSA' })
  expect(fake.calls.redirects).toEqual([])
  expect(fake.calls.toasts.pop()).toContain('已取消支付')
  fake.paymentOutcome = 'ok'
  await page.instance.onPay()
  expect(fake.calls.redirects).toEqual(['/pages/booking/result/index?out_trade_no=EH1'])
  page.instance.onUnload()
})

test('an expired hold cannot be paid; refusals are explained; an existing hold is picked up', async () => {
  const fake = (global.wx = createFakeWx({
    routes: confirmRoutes({
      'POST /holds': ({ data }) =>
        data.card_id === F.CHILD_ID
          ? apiError(429, 'limit_exceeded', { rule: 'daily_limit', until: null })
          : apiError(409, 'already_held', { state: 'held', hold_id: 'h'.repeat(24) }),
      ['GET /holds/' + 'h'.repeat(24)]: {
        hold_id: 'h'.repeat(24),
        schedule_id: 11,
        card_id: F.SELF_ID,
        expires_at: new Date(Date.now() - 1000).toISOString(),
        amount_fen: 2550,
        kind: 'ordinary',
        state: 'expired',
      },
    }),
  }))
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  page.instance.onCard({ detail: { cardId: F.CHILD_ID } })
  await page.instance.onHold()
  expect(fake.calls.toasts.pop()).toBe('该就诊人当天的预约已达上限（每天最多3个）')
  page.instance.onCard({ detail: { cardId: F.SELF_ID } })
  await page.instance.onHold()
  await settle()
  expect(page.instance.data.expired).toBe(true)
  expect(text(page)).toContain('锁号已超时，号源已释放')
  await page.instance.onPay()
  expect(fake.calls.requests.some((r) => r.path.endsWith('/payment'))).toBe(false)
  page.instance.onUnload()
})

test('the result page waits for the payment notification, then shows the visit number', async () => {
  let polls = 0
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /payments/EH1': () => {
        polls += 1
        return {
          out_trade_no: 'EH1',
          status: polls < 2 ? 'created' : 'booked',
          booking_id: polls < 2 ? null : 21,
          amount_fen: 2550,
        }
      },
      'GET /bookings/21': F.bookingBody(),
    }),
  })
  const page = await renderPage('pages/booking/result/index', { out_trade_no: 'EH1' })
  await settle()
  expect(polls).toBe(2)
  const t = text(page)
  expect(t).toContain('预约成功')
  expect(t).toContain('就诊序号 3')
  expect(t).toContain('市第一人民医院 · 心内科')
})

test('my bookings, and one booking with its live queue and cancelling', async () => {
  let booking = F.bookingBody()
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /bookings': () => [
        booking,
        F.bookingBody({
          id: 20,
          status: 'cancelled',
          cancellable_until: null,
          refund: { status: 'success', amount_fen: 2550, reason: 'cancelled' },
        }),
      ],
      'GET /bookings/21': () => booking,
      'GET /bookings/21/queue': { called_number: 1, your_number: 3, ahead: 1, status: 'not_checked_in' },
      'DELETE /bookings/21': () => {
        booking = F.bookingBody({
          status: 'cancelled',
          cancellable_until: null,
          refund: { status: 'processing', amount_fen: 2550, reason: 'cancelled' },
        })
        return booking
      },
    }),
  }))
  const list = await renderPage('pages/booking/list/index')
  const lt = text(list)
  expect(lt).toContain('已预约')
  expect(lt).toContain('第 3 号')
  expect(lt).toContain('已原路退回 ¥25.50')

  const page = await renderPage('pages/booking/detail/index', { id: '21' })
  const t = text(page)
  expect(t).toContain('1 号') // being called
  expect(t).toContain('3 号') // mine
  expect(t).toContain('未签到')
  expect(t).toContain('取消预约（退号）')
  await page.instance.onCancel()
  await settle()
  expect(fake.calls.modals.pop().content).toContain('¥25.50')
  expect(fake.calls.requests.some((r) => r.method === 'DELETE' && r.path === '/bookings/21')).toBe(true)
  const after = text(page)
  expect(after).toContain('已取消')
  expect(after).toContain('退款处理中 ¥25.50')
  expect(after).not.toContain('取消预约（退号）')
  expect(page.instance._timer).toBeNull() // no queue polling for a cancelled booking
  page.instance.onUnload()
})

test('a refused cancellation says until when it was allowed', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /bookings/21': F.bookingBody(),
      'GET /bookings/21/queue': { called_number: null, your_number: 3, ahead: 2, status: 'not_checked_in' },
      'DELETE /bookings/21': apiError(409, 'cancel_deadline_passed', { deadline: '2026-11-27T00:00:00+08:00' }),
    }),
  }))
  const page = await renderPage('pages/booking/detail/index', { id: '21' })
  expect(text(page)).toContain('未开始')
  expect(text(page)).toContain('未签到')
  await page.instance.onCancel()
  expect(fake.calls.toasts.pop()).toBe('退号截止时间为 2026-11-27 00:00，已不能取消')
  page.instance.onUnload()
})

test('once checked in (in the queue) the booking offers no cancelling', async () => {
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /bookings/21': F.bookingBody(),
      'GET /bookings/21/queue': { called_number: 2, your_number: 3, ahead: 0, status: 'waiting' },
    }),
  })
  const page = await renderPage('pages/booking/detail/index', { id: '21' })
  const t = text(page)
  expect(t).toContain('候诊中')
  expect(t).not.toContain('取消预约（退号）')
  expect(t).not.toContain('出示健康卡签到')
  page.instance.onUnload()
})

test('taps on the rendered page carry their data-* to the handlers', async () => {
  const fake = (global.wx = createFakeWx({
    routes: { 'GET /departments/2/schedules': [F.schedule(), F.schedule({ id: 13, status: 'full', remaining: 0 })] },
  }))
  const page = await renderPage('pages/booking/schedules/index', { department_id: '2' })
  const chips = page.querySelectorAll('.date')
  expect(chips).toHaveLength(10)
  chips[3].dispatchEvent('tap')
  await settle()
  expect(fake.calls.requests.pop().query.date).toBe(page.instance.data.dates[3].date)
  page.querySelectorAll('.session')[0].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigations.pop()).toBe('/pages/booking/confirm/index?schedule_id=11')
})
