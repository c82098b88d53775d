const { createFakeWx, apiError } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }

function charge(id, extra) {
  return Object.assign(
    {
      charge_id: id,
      hospital_id: 1,
      hospital_name: '市第一人民医院',
      charge_no: `CF${id}`,
      visit: 'MZ20261210',
      department: '呼吸内科',
      doctor: '李建国',
      ordered_at: '2026-12-10T09:10:00+08:00',
      items: [
        {
          item_code: `D${id}`,
          name: `药品${id}`,
          category: 'drug',
          unit: '盒',
          quantity: 2,
          unit_price_fen: 1250,
          amount_fen: 2500,
        },
      ],
      total_fen: 2500,
      pay_group: null,
      insurance: false,
      status: 'unpaid',
      version: 1,
      payable: true,
      not_payable_reason: null,
      paid_fen: null,
      paid_at: null,
      acknowledged: false,
      guide: null,
      receipt_no: null,
      reject_reason: null,
      refunded_fen: 0,
      refunds: [],
    },
    extra,
  )
}

const UNPAID = [
  charge(1),
  charge(2, { pay_group: 'RX1', total_fen: 1000, version: 3 }),
  charge(3, { pay_group: 'RX1', total_fen: 500 }),
  charge(4, { insurance: true, payable: false, not_payable_reason: 'insurance', total_fen: 26000 }),
  charge(5, { hospital_id: 2, hospital_name: '市中医院', visit: 'MZ9', total_fen: 700 }),
]

const PAID = [
  charge(1, {
    status: 'acknowledged',
    acknowledged: true,
    paid_fen: 2500,
    paid_at: '2026-12-10T10:00:00+08:00',
    receipt_no: 'R-778',
    guide: '请到门诊药房3号窗口取药',
    refunded_fen: 800,
    refunds: [
      {
        refund_id: 9,
        kind: 'refund',
        amount_fen: 800,
        reason: '布洛芬未发药',
        refund_no: 'TF1',
        status: 'refunded',
        requested_at: '2026-12-10T11:00:00+08:00',
        finished_at: '2026-12-10T11:01:00+08:00',
      },
    ],
  }),
  charge(6, { status: 'paid', paid_fen: 1500, paid_at: '2026-12-10T10:00:00+08:00' }),
]

function routes(extra) {
  return Object.assign(
    {},
    LOGIN,
    {
      'GET /cards': [F.selfCard, F.childCard],
      'GET /outpatient/charges': ({ query }) => (query.status === 'paid' ? PAID : UNPAID),
      'POST /outpatient/payments': ({ data }) => ({
        payment_id: 7,
        out_trade_no: 'EH7',
        amount_fen: 1500,
        pay_params: {
          appId: 'wx1',
          timeStamp: '1',
          nonceStr: 'n',
          package: 'prepay_id=p',
          signType: 'RSA',
          paySign: 's',
        },
        charge_ids: data.charge_ids,
      }),
      'POST /dev/payments/EH7/complete': { out_trade_no: 'EH7', outcome: 'charges_paid' },
    },
    extra,
  )
}

test('unpaid charges by hospital and visit; a pay group goes together; insurance is shown, not payable', async () => {
  const fake = (global.wx = createFakeWx({ routes: routes() }))
  const page = await renderPage('pages/outpatient/charges/index')
  const p = page.instance
  let t = text(page)
  expect(t).toContain('市第一人民医院')
  expect(t).toContain('市中医院')
  expect(t).toContain('呼吸内科 · 李建国')
  expect(t).toContain('医保缴费单，请到医院窗口结算')
  expect(t).toContain('需同组一起缴费')
  expect(t).toContain('药品1（药品）2盒 × ¥12.50')
  expect(fake.calls.requests.find((r) => r.path === '/outpatient/charges').query).toEqual({
    card_id: F.SELF_ID,
    status: 'unpaid',
  })
  p.onToggle({ currentTarget: { dataset: { id: 2 } } })
  expect(p.data.selected).toEqual([2, 3]) // its group with it
  expect(text(page)).toContain('合计 ¥15.00')
  p.onToggle({ currentTarget: { dataset: { id: 4 } } })
  expect(fake.calls.toasts.pop()).toBe('医保缴费单，请到医院窗口结算')
  expect(p.data.selected).toEqual([2, 3])
  p.onToggle({ currentTarget: { dataset: { id: 1 } } })
  expect(p.data.selected).toEqual([2, 3, 1])
  expect(text(page)).toContain('合计 ¥40.00')
  p.onToggle({ currentTarget: { dataset: { id: 3 } } }) // out of the group: both go
  expect(p.data.selected).toEqual([1])
  p.onToggle({ currentTarget: { dataset: { id: 5 } } }) // another hospital: a new selection
  expect(p.data.selected).toEqual([5])
  t = text(page)
  expect(t).toContain('合计 ¥7.00')
})

test('paying sends the versions seen, pays through the stand-in and opens the result', async () => {
  const fake = (global.wx = createFakeWx({ routes: routes() }))
  const page = await renderPage('pages/outpatient/charges/index')
  const p = page.instance
  await p.onPay()
  expect(fake.calls.toasts.pop()).toBe('请选择要缴费的项目')
  p.onToggle({ currentTarget: { dataset: { id: 3 } } })
  await p.onPay()
  await settle()
  expect(fake.calls.requests.find((r) => r.path === '/outpatient/payments').data).toEqual({
    hospital_id: 1,
    card_id: F.SELF_ID,
    charge_ids: [2, 3],
    versions: [3, 1],
  })
  expect(fake.calls.modals.pop().title).toBe('开发环境模拟支付')
  expect(fake.calls.requests.some((r) => r.path === '/dev/payments/EH7/complete')).toBe(true)
  expect(fake.calls.navigations.pop()).toBe(
    `/pages/outpatient/result/index?out_trade_no=EH7&card_id=${F.SELF_ID}&charge_ids=2,3`,
  )
})

test('a charge changed or being paid by a family member: the sentence, and the list anew', async () => {
  const fake = (global.wx = createFakeWx({
    routes: routes({ 'POST /outpatient/payments': apiError(409, 'charge_in_payment', { charge_ids: [1] }) }),
  }))
  const page = await renderPage('pages/outpatient/charges/index')
  page.instance.onToggle({ currentTarget: { dataset: { id: 1 } } })
  const before = fake.calls.requests.filter((r) => r.path === '/outpatient/charges').length
  await page.instance.onPay()
  await settle()
  expect(fake.calls.modals.pop().content).toContain('正在支付中')
  expect(fake.calls.requests.filter((r) => r.path === '/outpatient/charges').length).toBe(before + 1)
  expect(page.instance.data.selected).toEqual([])
})

test('paid charges: guidance and receipt once acknowledged, waiting until then, each refund with its reason', async () => {
  global.wx = createFakeWx({ routes: routes() })
  const page = await renderPage('pages/outpatient/charges/index')
  await page.instance.onTab({ currentTarget: { dataset: { tab: 'paid' } } })
  await settle()
  const t = text(page)
  expect(t).toContain('收据号 R-778')
  expect(t).toContain('请到门诊药房3号窗口取药')
  expect(t).toContain('已缴费，等待医院确认')
  expect(t).toContain('医院退费 ¥8.00')
  expect(t).toContain('已原路退回')
  expect(t).toContain('原因：布洛芬未发药')
  expect(t).not.toContain('合计')
})

test('the result page shows the payment and each charge as the hospital answered it', async () => {
  const fake = (global.wx = createFakeWx({
    routes: routes({
      'GET /payments/EH7': { out_trade_no: 'EH7', status: 'paid', amount_fen: 4000, purpose: 'charges' },
    }),
  }))
  const page = await renderPage('pages/outpatient/result/index', {
    out_trade_no: 'EH7',
    card_id: F.SELF_ID,
    charge_ids: '1,6',
  })
  await settle()
  const t = text(page)
  expect(t).toContain('缴费成功')
  expect(t).toContain('已支付 ¥40.00')
  expect(t).toContain('请到门诊药房3号窗口取药')
  expect(t).toContain('已缴费，等待医院确认')
  page.instance.onBack()
  expect(fake.calls.redirects.pop()).toBe(`/pages/outpatient/charges/index?card_id=${F.SELF_ID}&tab=paid`)
})

test('a payment refused because a charge changed: said so, nothing shown as paid', async () => {
  global.wx = createFakeWx({
    routes: routes({
      'GET /payments/EH7': { out_trade_no: 'EH7', status: 'refund_pending', amount_fen: 4000, note: 'charge_changed' },
    }),
  })
  const page = await renderPage('pages/outpatient/result/index', {
    out_trade_no: 'EH7',
    card_id: F.SELF_ID,
    charge_ids: '1',
  })
  await settle()
  expect(text(page)).toContain('缴费单已变更，款项将原路退回')
  expect(text(page)).toContain('缴费未完成')
})
