const { createFakeWx, apiError } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }

const REPORT = {
  report_id: 7,
  card_id: F.SELF_ID,
  hospital_id: 1,
  hospital_name: '市第一人民医院',
  kind: 'lab',
  title: '血常规',
  department: '检验科',
  reported_at: '2026-12-10T09:00:00+08:00',
  status: 'amended',
  amended_at: '2026-12-10T09:30:00+08:00',
  has_critical: true,
  has_pdf: true,
  sensitive: false,
}
const DETAIL = Object.assign({}, REPORT, {
  report_no: 'L1',
  name_masked: '张*',
  doctor: '李医生',
  specimen: '静脉血',
  ordered_at: null,
  collected_at: '2026-12-10T08:00:00+08:00',
  conclusion: '血小板危急值',
  results: [
    { name: '白细胞计数', value: '11.2', unit: '10*9/L', reference_range: '3.5-9.5', flag: 'high', critical: false },
    { name: '血红蛋白', value: '135', unit: 'g/L', reference_range: '130-175', flag: 'normal', critical: false },
    { name: '血小板计数', value: '18', unit: '10*9/L', reference_range: '125-350', flag: 'critical', critical: true },
  ],
})

test('reports of the chosen card, newest first, filtered by kind; a family member has none', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /cards': [F.selfCard, F.childCard],
      'GET /reports': ({ query }) =>
        query.card_id === F.SELF_ID && (!query.kind || query.kind === 'lab')
          ? [
              REPORT,
              Object.assign({}, REPORT, {
                report_id: 6,
                title: '肝功能',
                status: 'final',
                has_critical: false,
                has_pdf: false,
                amended_at: null,
              }),
            ]
          : [],
    }),
  }))
  const page = await renderPage('pages/reports/list/index')
  let t = text(page)
  expect(t).toContain('血常规')
  expect(t).toContain('危急值')
  expect(t).toContain('已更正')
  expect(t).toContain('市第一人民医院 · 检验 · 检验科')
  expect(t).toContain('2026-12-10 09:00')
  expect(fake.calls.requests.find((r) => r.path === '/reports').query).toEqual({ card_id: F.SELF_ID })
  await page.instance.onKind({ currentTarget: { dataset: { kind: 'imaging' } } })
  await settle()
  expect(fake.calls.requests.pop().query).toEqual({ card_id: F.SELF_ID, kind: 'imaging' })
  expect(text(page)).toContain('该就诊人暂无报告')
  await page.instance.onKind({ currentTarget: { dataset: { kind: '' } } })
  await page.instance.onCard({ detail: { cardId: F.CHILD_ID } })
  await settle()
  expect(text(page)).toContain('该就诊人暂无报告')
  page.instance.onOpen({ currentTarget: { dataset: { id: 7 } } })
  expect(fake.calls.navigations.pop()).toBe('/pages/reports/detail/index?report_id=7')
})

test('a report shows its results as a table with critical values standing out', async () => {
  const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN, { 'GET /reports/7': DETAIL }) }))
  const page = await renderPage('pages/reports/detail/index', { report_id: '7' })
  const t = text(page)
  expect(t).toContain('本报告有 1 项危急值')
  expect(t).toContain('11.2 10*9/L ↑')
  expect(t).toContain('偏高')
  expect(t).toContain('18 10*9/L')
  expect(t).toContain('125-350')
  expect(t).toContain('已更正')
  expect(t).toContain('开单医生 李医生')
  const critical = page.querySelectorAll('.critical')
  expect(critical.length).toBe(1)
  expect(critical[0].dom.textContent).toContain('血小板计数')
  page.instance.onPdf()
  expect(fake.calls.navigations.pop()).toBe('/pages/reports/pdf/index?report_id=7')
})

test('someone else’s report reads as not found', async () => {
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, { 'GET /reports/8': apiError(404, 'report_not_found') }),
  })
  const page = await renderPage('pages/reports/detail/index', { report_id: '8' })
  expect(text(page)).toContain('没有找到该报告')
})

test('the PDF: a signed link, downloaded without a bearer, opened as a PDF', async () => {
  const path = '/api/v1/reports/7/pdf?expires=1765331100&signature=' + 'a'.repeat(64)
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /reports/7/pdf-link': {
        url: 'http://127.0.0.1:8000' + path,
        path,
        expires_at: '2026-12-10T10:05:00+08:00',
        expires_in: 300,
      },
    }),
  }))
  const page = await renderPage('pages/reports/pdf/index', { report_id: '7' })
  await settle()
  expect(fake.calls.downloads).toEqual([{ url: 'http://127.0.0.1:8000' + path, header: undefined }])
  expect(fake.calls.documents).toEqual([{ filePath: 'wxfile://tmp/report.pdf', fileType: 'pdf' }])
  expect(text(page)).toContain('报告已在系统查看器中打开')
  fake.downloadStatus = 404
  await page.instance.open()
  await settle()
  expect(text(page)).toContain('报告下载链接已失效')
})

test('a report_ready message reads as the report being out and leads to it', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /notifications': {
        items: [
          {
            id: 3,
            kind: 'report_ready',
            status: 'inbox',
            read: false,
            page: 'pages/reports/detail/index?report_id=7',
            created_at: '2026-12-10T09:00:00+08:00',
            payload: { report_id: 7, card_id: F.SELF_ID, hospital: '市第一人民医院', title: '血常规', critical: true },
          },
        ],
        next_before: null,
        unread: 1,
      },
    }),
  }))
  const page = await renderPage('pages/me/messages/index')
  const t = text(page)
  expect(t).toContain('报告已出')
  expect(t).toContain('市第一人民医院 的“血常规”报告已出，其中有危急值')
  page.querySelectorAll('.list-item')[0].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigations.pop()).toBe('/pages/reports/detail/index?report_id=7')
})
