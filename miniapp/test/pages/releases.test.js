const { createFakeWx, apiError } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }
const TICKET = '1.1796000000000.1.AAAAAAAAAAAAAAAAAAAAAA'

function ticket(extra) {
  return Object.assign(
    {
      ticket: TICKET,
      hospital_id: 1,
      release_at: '2026-12-13T13:00:00+08:00',
      position: 120,
      admitted_through: 20,
      estimated_wait_s: 50,
      status: 'waiting',
      admitted_until: null,
    },
    extra,
  )
}

test('the waiting page shows the position and the wait, polls, and moves on to the sessions when admitted', async () => {
  const answers = [
    ticket({ position: 120, admitted_through: 60, estimated_wait_s: 30 }),
    ticket({ status: 'admitted', admitted_through: 130, estimated_wait_s: 0 }),
  ]
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /releases/1/tickets': ticket(),
      [`GET /releases/1/tickets/${TICKET}`]: () => answers.shift(),
    }),
  }))
  const page = await renderPage('pages/releases/waiting/index', { hospital_id: '1' })
  let t = text(page)
  expect(t).toContain('排队中')
  expect(t).toContain('第 120 位')
  expect(t).toContain('第 20 位')
  expect(t).toContain('99 人')
  expect(t).toContain('约 50 秒')
  await page.instance.poll()
  await settle()
  t = text(page)
  expect(t).toContain('第 60 位')
  expect(t).toContain('约 30 秒')
  expect(fake.calls.redirects).toEqual([])
  await page.instance.poll()
  await settle()
  expect(fake.calls.redirects.pop()).toBe('/pages/booking/departments/index?hospital_id=1')
  page.instance.onUnload()
})

test('before the release the place is not drawn yet; no room open: straight on to the page asked for', async () => {
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /releases/1/tickets': ticket({ position: null, admitted_through: 0, estimated_wait_s: 150 }),
    }),
  })
  const page = await renderPage('pages/releases/waiting/index', { hospital_id: '1' })
  expect(text(page)).toContain('放号时随机排序')
  expect(text(page)).toContain('约 3 分钟')
  page.instance.onUnload()

  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /releases/1/tickets': apiError(409, 'room_not_open', { opens_at: null }),
    }),
  }))
  const next = '/pages/booking/confirm/index?schedule_id=11'
  await renderPage('pages/releases/waiting/index', { hospital_id: '1', next: encodeURIComponent(next) })
  expect(fake.calls.redirects.pop()).toBe(next)
})

test('a hold refused with not_admitted sends the resident to the waiting room', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /health': { status: 'ok', time: '2026-12-13T13:00:05+08:00' },
      'GET /schedules/11': {
        id: 11,
        hospital_id: 1,
        doctor: { name: '王医生', title: '' },
        date: '2026-12-20',
        start: '08:00',
        end: '08:30',
        capacity: 10,
        remaining: 5,
        fee_fen: 1500,
        release_at: '2026-12-13T13:00:00+08:00',
        status: 'open',
      },
      'GET /cards': [{ card_id: 'a'.repeat(64), name_masked: '张*', is_self: true, status: 'active' }],
      'POST /holds': apiError(403, 'not_admitted', { ticket_status: 'none', position: null, admitted_through: 5 }),
    }),
  }))
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  await page.instance.onHold()
  await settle()
  const next = encodeURIComponent('/pages/booking/confirm/index?schedule_id=11')
  expect(fake.calls.navigations.pop()).toBe(`/pages/releases/waiting/index?hospital_id=1&next=${next}`)
})
