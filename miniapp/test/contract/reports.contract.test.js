// Reports through the mini-program's services against the real backend: the hospital pushes a
// report and its PDF (signed with its dev intake secret, `dev-his-<hospital code>`), the
// resident lists it, opens it, and fetches the PDF through the signed link with no bearer, as
// wx.downloadFile does.
const crypto = require('crypto')
const path = require('path')
const { createWx, idNumber, phone, hisRequest } = require('./wx-shim')

const MP = path.resolve(__dirname, '../../miniprogram')
const config = require(path.join(MP, 'config'))
const sms = require(path.join(MP, 'services/sms'))
const cards = require(path.join(MP, 'services/cards'))
const catalog = require(path.join(MP, 'services/catalog'))
const reports = require(path.join(MP, 'services/reports'))

const BASE = process.env.EHEALTH_CONTRACT_BASE

// the report is JSON text already, the PDF bytes: both signed as sent
const his = (method, code, pathAndQuery, raw, contentType) =>
  hisRequest(method, code, pathAndQuery, Buffer.from(raw), contentType)

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n' +
    'xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n107\n%%EOF\n',
)

describe('reports', () => {
  beforeAll(() => {
    config.set({ apiBase: `${BASE}/api/v1`, devPayments: true })
  })

  test('a report pushed by the hospital, listed, opened, its PDF fetched through the signed link', async () => {
    global.wx = createWx('contract-reports')
    const id = idNumber()
    const ph = phone()
    const code = (await sms.sendSmsCode(ph, 'claim_card')).dev_code
    const card = await cards.claimCard({ name: '王五', idNumber: id, phone: ph, smsCode: code })
    const hospital = (await catalog.listHospitals())[0]
    const reportNo = `LAB${crypto.randomInt(1e6, 1e7)}`
    const now = (await (await fetch(`${BASE}/api/v1/dev/clock`)).json()).now
    const pushed = await his(
      'PUT',
      hospital.code,
      `/his/${hospital.code}/reports/${reportNo}`,
      JSON.stringify({
        id_number: id,
        name: '王五',
        kind: 'lab',
        title: '血常规',
        department: '检验科',
        doctor: '李医生',
        reported_at: new Date(Date.parse(now) - 3600 * 1000).toISOString(),
        status: 'final',
        results: [
          {
            code: 'PLT',
            loinc: '777-3',
            name: '血小板计数',
            value: 18,
            unit: '10*9/L',
            reference_range: '125-350',
            flag: 'critical',
          },
        ],
      }),
      'application/json',
    )
    expect(pushed.status).toBe(201)
    expect(
      (await his('PUT', hospital.code, `/his/${hospital.code}/reports/${reportNo}/pdf`, PDF, 'application/pdf')).status,
    ).toBe(204)

    const listed = await reports.listReports({ cardId: card.card_id })
    const mine = listed.find((r) => r.title === '血常规')
    expect(mine).toMatchObject({ has_critical: true, has_pdf: true, status: 'final', card_id: card.card_id })
    const report = await reports.getReport(mine.report_id)
    expect(report.results[0]).toMatchObject({ name: '血小板计数', value: '18', flag: 'critical', critical: true })
    const link = await reports.createPdfLink(mine.report_id)
    expect(link.expires_in).toBeLessThanOrEqual(300)
    const res = await fetch(BASE + link.path) // no Authorization header
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true)
    const last = link.path.slice(-1)
    const tampered = await fetch(BASE + link.path.slice(0, -1) + (last === '0' ? '1' : '0'))
    expect(tampered.status).toBe(404)
  })
})
