// Every page of app.json and every component loads (its WXML compiles with the official
// compiler), shows its loading/error state when the service fails, and every event handler its
// template names exists.
const fs = require('fs')
const path = require('path')
const { createFakeWx, apiError } = require('../support/fake-wx')
const { ROOT, APP, renderPage, renderComponent, text } = require('../support/simulate')

const pages = APP.pages.concat(...APP.subPackages.map((s) => s.pages.map((p) => `${s.root}/${p}`)))

function componentsUsed() {
  const found = new Set(Object.values(APP.usingComponents || {}))
  pages.forEach((p) => {
    const json = JSON.parse(fs.readFileSync(path.join(ROOT, `${p}.json`), 'utf8'))
    Object.values(json.usingComponents || {}).forEach((c) => found.add(c))
  })
  return [...found].map((c) => c.replace(/^\//, ''))
}

function handlersIn(file) {
  const wxml = fs.readFileSync(path.join(ROOT, `${file}.wxml`), 'utf8')
  return [...wxml.matchAll(/\b(?:bind|catch):?[a-z]+="([A-Za-z_]\w*)"/g)].map((m) => m[1])
}

const QUERIES = {
  'pages/cards/qrcode/index': { card_id: 'a'.repeat(64) },
  'pages/cards/access-log/index': { card_id: 'a'.repeat(64) },
  'pages/cards/links/index': { card_id: 'a'.repeat(64) },
  'pages/cards/phone/index': { card_id: 'a'.repeat(64) },
  'pages/booking/departments/index': { hospital_id: '1', hospital_name: '%E5%8C%BB%E9%99%A2' },
  'pages/booking/schedules/index': { department_id: '2' },
  'pages/booking/confirm/index': { schedule_id: '11' },
  'pages/booking/result/index': { out_trade_no: 'EH1' },
  'pages/booking/detail/index': { id: '21' },
  'pages/releases/waiting/index': { hospital_id: '1' },
  'pages/inpatient/bill/index': { hospital_id: '1', card_id: 'a'.repeat(64), admission_no: 'ZY1' },
  'pages/inpatient/deposit/index': { hospital_id: '1', card_id: 'a'.repeat(64), admission_no: 'ZY1' },
  'pages/outpatient/result/index': { out_trade_no: 'EH1', card_id: 'a'.repeat(64), charge_ids: '1,2' },
  'pages/reports/detail/index': { report_id: '7' },
  'pages/reports/pdf/index': { report_id: '7' },
}

// every GET fails with a server error: pages that load show the error sentence and a retry
const failing = new Proxy(
  {},
  {
    get: (_, key) =>
      String(key).startsWith('GET ')
        ? apiError(503, 'payment_unavailable')
        : key === 'POST /auth/wx-login'
          ? { token: 't', expires_in: 1, account_id: 1 }
          : undefined,
    has: () => true,
  },
)

test('app.json lists pages in one subpackage per domain', () => {
  expect(APP.subPackages.map((s) => s.root)).toEqual([
    'pages/cards',
    'pages/family',
    'pages/booking',
    'pages/inpatient',
    'pages/reports',
    'pages/outpatient',
    'pages/releases',
    'pages/me',
  ])
  expect(pages).toHaveLength(27)
})

describe.each(pages)('%s', (page) => {
  test('renders, shows a failure as a sentence, and has every handler its template names', async () => {
    jest.resetModules()
    global.wx = createFakeWx({ routes: failing })
    const comp = await renderPage(page, QUERIES[page] || {})
    const loadsData = /load\(this|getPayment|listAdmissions/.test(
      fs.readFileSync(path.join(ROOT, `${page}.js`), 'utf8'),
    )
    if (loadsData) expect(text(comp)).toContain('支付服务暂时不可用')
    handlersIn(page).forEach((h) => expect(typeof comp.instance[h]).toBe('function'))
    if (typeof comp.instance.onUnload === 'function') comp.instance.onUnload()
    comp.detach()
  })
})

describe.each(componentsUsed())('component %s', (component) => {
  test('renders and has every handler its template names', () => {
    global.wx = createFakeWx()
    const comp = renderComponent(component, {})
    expect(comp.dom).toBeTruthy()
    handlersIn(component).forEach((h) => expect(typeof comp.instance[h]).toBe('function'))
  })
})
