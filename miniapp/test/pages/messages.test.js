// Subscribe messages and the inbox: the tap that pays a hold first asks WeChat for the
// templates (wx.requestSubscribeMessage) and tells the backend what the resident answered; the
// claim and queue taps do the same for theirs; the inbox pages, marks read, opens the page a
// message is about and keeps the badge.
const { createFakeWx } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')
const { forgetTemplates } = require('../../miniprogram/utils/subscribe')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }
const TEMPLATES = {
  booking_confirmed: 'TPL_CONFIRMED',
  visit_reminder: 'TPL_VISIT',
  queue_reminder: 'TPL_QUEUE',
  queue_called: 'TPL_QUEUE', // one template may serve two kinds
  schedule_suspended: 'TPL_SUSPENDED',
  card_linked: 'TPL_LINKED',
  refund_done: 'TPL_REFUND',
  deposit_credited: 'TPL_DEPOSIT',
  report_ready: 'TPL_REPORT',
}
const HOLD = 'h'.repeat(24)

function routes(extra) {
  return Object.assign(
    {},
    LOGIN,
    {
      'GET /health': { status: 'ok', time: new Date().toISOString() },
      'GET /notifications/templates': { templates: TEMPLATES, allowances: {} },
      'POST /notifications/subscriptions': ({ data }) => ({ allowances: data.templates }),
      'GET /schedules/11': F.schedule(),
      'GET /cards': [F.selfCard],
      'POST /holds': () => ({
        hold_id: HOLD,
        expires_at: new Date(Date.now() + 600000).toISOString(),
        amount_fen: 2550,
        kind: 'ordinary',
      }),
      [`POST /holds/${HOLD}/payment`]: {
        out_trade_no: 'EH1',
        amount_fen: 2550,
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
    },
    extra,
  )
}

beforeEach(() => forgetTemplates())

test('paying a hold first asks for the booking templates and reports the answers, then pays', async () => {
  const fake = (global.wx = createFakeWx({ routes: routes() }))
  fake.getAccountInfoSync = () => ({ miniProgram: { envVersion: 'release' } })
  fake.subscribeAnswers = { TPL_VISIT: 'reject' }
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  await settle()
  await page.instance.onHold()
  await page.instance.onPay()
  expect(fake.calls.subscriptions).toEqual([['TPL_CONFIRMED', 'TPL_VISIT', 'TPL_SUSPENDED']])
  const told = fake.calls.requests.filter((r) => r.path === '/notifications/subscriptions')
  expect(told.map((r) => r.data)).toEqual([
    { templates: { booking_confirmed: 'accept', visit_reminder: 'reject', schedule_suspended: 'accept' } },
  ])
  // asked before WeChat Pay's sheet, then paid
  const order = fake.calls.requests.map((r) => r.path)
  expect(order.indexOf('/notifications/subscriptions')).toBeLessThan(order.indexOf(`/holds/${HOLD}/payment`))
  expect(fake.calls.payments).toHaveLength(1)
  expect(fake.calls.redirects).toEqual(['/pages/booking/result/index?out_trade_no=EH1'])
  page.instance.onUnload()
})

test('without template ids (or when WeChat refuses to ask) paying goes on and nothing is reported', async () => {
  const fake = (global.wx = createFakeWx({ routes: routes({ 'GET /notifications/templates': () => 'network-down' }) }))
  fake.getAccountInfoSync = () => ({ miniProgram: { envVersion: 'release' } })
  const page = await renderPage('pages/booking/confirm/index', { schedule_id: '11' })
  await settle()
  await page.instance.onHold()
  await page.instance.onPay()
  expect(fake.calls.subscriptions).toEqual([])
  expect(fake.calls.requests.some((r) => r.path === '/notifications/subscriptions')).toBe(false)
  expect(fake.calls.redirects).toEqual(['/pages/booking/result/index?out_trade_no=EH1'])
  page.instance.onUnload()
})

test('the queue page asks for the queue template once for both of its kinds', async () => {
  const fake = (global.wx = createFakeWx({
    routes: routes({
      'GET /bookings/21': F.bookingBody({ id: 21 }),
      'GET /bookings/21/queue': { called_number: 3, your_number: 9, ahead: 5, status: 'waiting' },
    }),
  }))
  const page = await renderPage('pages/booking/detail/index', { id: '21' })
  await settle()
  expect(text(page)).toContain('叫号提醒')
  await page.instance.onSubscribeQueue()
  expect(fake.calls.subscriptions).toEqual([['TPL_QUEUE']])
  const told = fake.calls.requests.find((r) => r.path === '/notifications/subscriptions')
  expect(told.data).toEqual({ templates: { queue_reminder: 'accept', queue_called: 'accept' } })
  expect(fake.calls.toasts.pop()).toBe('将在快到您和叫到您时提醒')
  page.instance.onUnload()
})

function note(id, kind, payload, extra) {
  return Object.assign(
    { id, kind, payload, status: 'sent', created_at: '2026-11-25T08:00:00+08:00', read: false, page: null },
    extra,
  )
}

test('the inbox: newest first, unread marked, paged on reaching the bottom, tapping reads and opens', async () => {
  const first = [
    note(
      30,
      'report_ready',
      { report_id: 7, hospital: '市第一人民医院', title: '血常规', critical: true },
      {
        page: 'pages/reports/detail/index?report_id=7',
      },
    ),
    note(
      29,
      'booking_confirmed',
      { booking_id: 21, hospital: '市第一人民医院', department: '心内科', visit_number: 5 },
      {
        page: 'pages/booking/detail/index?id=21',
        read: true,
      },
    ),
  ]
  const second = [
    note(12, 'refund_done', { purpose: 'booking', amount_fen: 2550 }, { page: 'pages/booking/detail/index?id=21' }),
  ]
  let unread = 2
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /notifications': ({ query }) =>
        query.before === '29'
          ? { items: second, next_before: null, unread }
          : { items: first, next_before: 29, unread },
      'POST /notifications/read': ({ data }) => {
        unread -= data.all ? unread : data.ids.length
        return { unread }
      },
    }),
  }))
  const page = await renderPage('pages/me/messages/index')
  let t = text(page)
  expect(t).toContain('2 条未读')
  expect(t).toContain('报告已出')
  expect(t).toContain('危急值')
  expect(t).toContain('上拉加载更多')
  expect(page.querySelectorAll('.unread')).toHaveLength(1)
  expect(fake.calls.badges.pop()).toBe('2')
  await page.instance.onReachBottom()
  await settle()
  t = text(page)
  expect(t).toContain('退款成功')
  expect(t).toContain('挂号费 ¥25.50 已原路退回')
  expect(page.instance.data.messages.map((m) => m.id)).toEqual([30, 29, 12])
  page.querySelectorAll('.list-item')[0].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigations.pop()).toBe('/pages/reports/detail/index?report_id=7')
  expect(fake.calls.requests.find((r) => r.path === '/notifications/read').data).toEqual({ ids: [30] })
  expect(page.instance.data.unread).toBe(1)
  expect(fake.calls.badges.pop()).toBe('1')
  await page.instance.onReadAll()
  await settle()
  expect(page.querySelectorAll('.unread')).toHaveLength(0)
  expect(fake.calls.badges.pop()).toBe('')
})

test('home: the messages entry shows the unread count', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, { 'GET /cards': [F.selfCard], 'GET /notifications/unread': { unread: 3 } }),
  }))
  const page = await renderPage('pages/home/index/index')
  await settle()
  expect(page.instance.data.unread).toBe(3)
  expect(page.querySelector('.badge').dom.textContent).toBe('3')
  expect(fake.calls.badges.pop()).toBe('3')
  page.instance.onEntry({ currentTarget: { dataset: { url: '/pages/me/messages/index' } } })
  expect(fake.calls.navigations.pop()).toBe('/pages/me/messages/index')
})

test('the reports page asks for the report template on a tap and says what was allowed', async () => {
  const fake = (global.wx = createFakeWx({ routes: routes({ 'GET /reports': [] }) }))
  fake.subscribeAnswers = { TPL_REPORT: 'reject' }
  const page = await renderPage('pages/reports/list/index')
  await settle()
  expect(text(page)).toContain('报告提醒')
  await page.instance.onSubscribeReports()
  expect(fake.calls.subscriptions).toEqual([['TPL_REPORT']])
  const told = fake.calls.requests.find((r) => r.path === '/notifications/subscriptions')
  expect(told.data).toEqual({ templates: { report_ready: 'reject' } })
  expect(fake.calls.toasts.pop()).toBe('未开启提醒，可在消息中查看')
})
