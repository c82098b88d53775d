const { createFakeWx, apiError, reply } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }

test('admissions of the chosen card; a family member has none; lookup by admission number', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /cards': [F.selfCard, F.childCard],
      'GET /hospitals': [{ id: 1, code: 'H1', name: '市第一人民医院', release_time: '13:00', status: 'active' }],
      'GET /inpatient/admissions': ({ query }) =>
        query.card_id === F.SELF_ID
          ? [
              {
                hospital_id: 1,
                hospital_name: '市第一人民医院',
                admission_no: 'ZY2026001',
                ward: '心内科病区',
                bed: '12',
                admitted_at: '2026-11-20T09:00:00+08:00',
                discharged_at: null,
                balance_fen: -1234,
              },
            ]
          : [],
    }),
  }))
  const page = await renderPage('pages/inpatient/admissions/index')
  const t = text(page)
  expect(t).toContain('住院号 ZY2026001 · 心内科病区 12床')
  expect(t).toContain('在院')
  expect(t).toContain('¥-12.34')
  page.instance.onOpen({ currentTarget: { dataset: { hospital: 1, no: 'ZY2026001' } } })
  expect(fake.calls.navigations.pop()).toBe(
    `/pages/inpatient/bill/index?hospital_id=1&card_id=${F.SELF_ID}&admission_no=ZY2026001`,
  )
  await page.instance.onCard({ detail: { cardId: F.CHILD_ID } })
  await settle()
  expect(text(page)).toContain('该就诊人暂无住院记录')
  page.instance.onLookup()
  expect(fake.calls.toasts.pop()).toBe('请选择医院并填写住院号')
  page.instance.onHospital({ detail: { value: '0' } })
  page.instance.onAdmissionNo({ detail: { value: ' ZY9 ' } })
  page.instance.onLookup()
  expect(fake.calls.navigations.pop()).toBe(
    `/pages/inpatient/bill/index?hospital_id=1&card_id=${F.CHILD_ID}&admission_no=ZY9`,
  )
})

const BILL_ROUTES = {
  'GET /inpatient/bills/summary': F.billSummary,
  'GET /inpatient/bills/days/2026-11-20': ({ query }) =>
    F.billDay('2026-11-20', { offset: Number(query.offset), limit: Number(query.limit) }),
  'GET /inpatient/bills/days/2026-11-21': ({ query }) =>
    F.billDay('2026-11-21', { offset: Number(query.offset), limit: Number(query.limit) }),
}

test('the bill by day: items, returns, subtotals, total, deposit and balance', async () => {
  const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN, BILL_ROUTES) }))
  const page = await renderPage('pages/inpatient/bill/index', {
    hospital_id: '1',
    card_id: F.SELF_ID,
    admission_no: 'ZY2026001',
  })
  const asked = fake.calls.requests.map((r) => [r.path, r.query])
  // the summary, then only the unfolded (latest) day's items: the whole bill is never asked for
  expect(asked).toContainEqual([
    '/inpatient/bills/summary',
    { hospital_id: '1', card_id: F.SELF_ID, admission_no: 'ZY2026001' },
  ])
  expect(asked).toContainEqual([
    '/inpatient/bills/days/2026-11-21',
    { hospital_id: '1', card_id: F.SELF_ID, admission_no: 'ZY2026001', offset: '0', limit: '100' },
  ])
  expect(asked.map(([p]) => p)).not.toContain('/inpatient/bills')
  expect(asked.map(([p]) => p)).not.toContain('/inpatient/bills/days/2026-11-20')
  let t = text(page)
  expect(t).toContain('¥108.45') // total
  expect(t).toContain('¥1000.00') // prepaid
  expect(t).toContain('¥891.55') // balance
  expect(t).toContain('小计 ¥123.45')
  expect(t).toContain('小计 ¥-15.00')
  // the latest day is unfolded: the return shows; the first day's items are folded
  expect(t).toContain('退费')
  expect(t).toContain('-1盒 × ¥15.00')
  expect(t).not.toContain('普通床位费')
  expect(t).toContain('2项')
  await page.instance.onToggleDay({ currentTarget: { dataset: { date: '2026-11-20' } } })
  await settle()
  expect(fake.calls.requests.map((r) => r.path)).toContain('/inpatient/bills/days/2026-11-20')
  t = text(page)
  expect(t).toContain('普通床位费')
  expect(t).toContain('床位')
  expect(t).toContain('2盒 × ¥15.00')
  page.instance.onDeposit()
  expect(fake.calls.navigations.pop()).toBe(
    `/pages/inpatient/deposit/index?hospital_id=1&card_id=${F.SELF_ID}&admission_no=ZY2026001&balance=891.55`,
  )
})

test('a bill that is not there (or not the caller’s) is the same not-found sentence', async () => {
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, { 'GET /inpatient/bills/summary': apiError(404, 'not_found') }),
  })
  const page = await renderPage('pages/inpatient/bill/index', {
    hospital_id: '1',
    card_id: F.SELF_ID,
    admission_no: 'NOPE',
  })
  expect(text(page)).toContain('没有找到相关记录')
})

test('a long day\'s items come a page at a time: "更多明细" asks for the next page', async () => {
  const many = Array.from({ length: 150 }, (_, i) => ({
    item_code: `M${i}`,
    name: `耗材${i}号`,
    category: 'material',
    unit: '个',
    quantity: 1,
    unit_price_fen: 100,
    amount_fen: 100,
  }))
  const page1 = {
    date: '2026-11-21',
    item_count: 150,
    subtotal_fen: 15000,
    categories: [],
    items: many.slice(0, 100),
    offset: 0,
    limit: 100,
    next_offset: 100,
  }
  const page2 = {
    date: '2026-11-21',
    item_count: 150,
    subtotal_fen: 15000,
    categories: [],
    items: many.slice(100),
    offset: 100,
    limit: 100,
    next_offset: null,
  }
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /inpatient/bills/summary': Object.assign({}, F.billSummary, {
        days: [{ date: '2026-11-21', item_count: 150, subtotal_fen: 15000, categories: [] }],
      }),
      'GET /inpatient/bills/days/2026-11-21': ({ query }) => (query.offset === '0' ? page1 : page2),
    }),
  }))
  const page = await renderPage('pages/inpatient/bill/index', {
    hospital_id: '1',
    card_id: F.SELF_ID,
    admission_no: 'ZY2026001',
  })
  let t = text(page)
  expect(t).toContain('耗材99号')
  expect(t).not.toContain('耗材100号')
  expect(t).toContain('已显示 100 / 150 项')
  await page.instance.onMoreItems({ currentTarget: { dataset: { date: '2026-11-21' } } })
  await settle()
  t = text(page)
  expect(fake.calls.requests.pop().query.offset).toBe('100')
  expect(t).toContain('耗材149号')
  expect(t).not.toContain('更多明细')
})

test('deposit top-up: amount in yuan checked, sent in fen, paid through WeChat Pay', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /inpatient/deposits': ({ data }) =>
        reply(201, {
          deposit_id: 5,
          out_trade_no: 'EHD1',
          pay_params: {
            appId: 'wx1',
            timeStamp: '1',
            nonceStr: 'n',
            package: 'prepay_id=d',
            signType: 'RSA',
            paySign: 's',
          },
          amount_fen: data.amount_fen,
        }),
      'POST /dev/payments/EHD1/complete': { out_trade_no: 'EHD1', outcome: 'credited' },
    }),
  }))
  const page = await renderPage('pages/inpatient/deposit/index', {
    hospital_id: '1',
    card_id: F.SELF_ID,
    admission_no: 'ZY2026001',
    balance: '891.55',
  })
  expect(text(page)).toContain('当前余额 ¥891.55')
  page.instance.onAmount({ detail: { value: '12.345' } })
  await settle()
  expect(text(page)).toContain('最多两位小数')
  page.instance.onAmount({ detail: { value: '50000.01' } }) // above the service's default DEPOSIT_MAX_FEN
  await settle()
  expect(text(page)).toContain('单笔充值不超过5万元')
  await page.instance.onPay()
  expect(fake.calls.requests.some((r) => r.path === '/inpatient/deposits')).toBe(false)
  page.instance.onAmount({ detail: { value: '1000.5' } })
  await page.instance.onPay()
  expect(fake.calls.requests.find((r) => r.path === '/inpatient/deposits').data).toEqual({
    hospital_id: 1,
    card_id: F.SELF_ID,
    admission_no: 'ZY2026001',
    amount_fen: 100050,
  })
  expect(fake.calls.requests.some((r) => r.path === '/dev/payments/EHD1/complete')).toBe(true)
  expect(fake.calls.toasts.pop()).toBe('充值成功')
  page.instance.onPreset({ currentTarget: { dataset: { fen: 200000 } } })
  expect(page.instance.data.amountText).toBe('2000.00')
})

test('me: the account, links, logging out forgets the token', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, { 'GET /auth/me': { account_id: 42 }, 'POST /auth/logout': reply(204) }),
  }))
  const page = await renderPage('pages/me/index/index')
  expect(text(page)).toContain('账号编号 42')
  expect(fake.getStorageSync('ehealth.token')).toBe('t')
  await page.instance.onLogout()
  expect(fake.calls.requests.some((r) => r.path === '/auth/logout')).toBe(true)
  expect(fake.getStorageSync('ehealth.token')).toBe('')
  expect(fake.calls.redirects).toEqual(['/pages/home/index/index'])
})

test('messages: a suspended session with its refund', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /notifications': {
        items: [
          {
            id: 1,
            kind: 'schedule_suspended',
            status: 'sent',
            created_at: '2026-11-25T08:00:00+08:00',
            payload: {
              booking_id: 21,
              hospital: '市第一人民医院',
              department: '心内科',
              doctor: '王医生',
              date: '2026-11-27',
              start: '08:00',
              reason: '医生临时出诊任务',
              refund_fen: 2550,
            },
          },
        ],
        next_before: null,
        unread: 1,
      },
    }),
  }))
  const page = await renderPage('pages/me/messages/index')
  const t = text(page)
  expect(t).toContain('停诊通知')
  expect(t).toContain('原因：医生临时出诊任务')
  expect(t).toContain('挂号费 ¥25.50 将原路退回')
  page.querySelectorAll('.list-item')[0].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigations.pop()).toBe('/pages/booking/detail/index?id=21')
})

test('home: no card yet offers claiming', async () => {
  const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN, { 'GET /cards': [] }) }))
  const page = await renderPage('pages/home/index/index')
  expect(text(page)).toContain('您还没有电子健康卡')
  page.instance.onClaim()
  expect(fake.calls.navigations.pop()).toBe('/pages/cards/claim/index')
})
