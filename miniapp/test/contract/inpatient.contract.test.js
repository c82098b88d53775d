// Inpatient bills and deposits through the mini-program's services against the real backend:
// the hospital pushes an admission and a day of charges (signed with its dev intake secret,
// `dev-his-<hospital code>`), the resident reads the bill and tops up the deposit.
// Skipped, with the reason printed, while the backend has no /api/v1/inpatient endpoints.
const crypto = require('crypto')
const path = require('path')
const { createWx, idNumber, phone, hisRequest } = require('./wx-shim')

const MP = path.resolve(__dirname, '../../miniprogram')
const config = require(path.join(MP, 'config'))
const sms = require(path.join(MP, 'services/sms'))
const cards = require(path.join(MP, 'services/cards'))
const catalog = require(path.join(MP, 'services/catalog'))
const inpatient = require(path.join(MP, 'services/inpatient'))
const { pay } = require(path.join(MP, 'utils/pay'))
const { fenToYuan } = require(path.join(MP, 'utils/money'))

const BASE = process.env.EHEALTH_CONTRACT_BASE
const his = hisRequest

describe('inpatient bill and deposit', () => {
  beforeAll(() => {
    config.set({ apiBase: `${BASE}/api/v1`, devPayments: true })
  })

  test('admission pushed by the hospital, bill by day, deposit top-up paid and counted', async () => {
    global.wx = createWx('contract-inpatient')
    const id = idNumber()
    const ph = phone()
    const code = (await sms.sendSmsCode(ph, 'claim_card')).dev_code
    const card = await cards.claimCard({ name: '王五', idNumber: id, phone: ph, smsCode: code })
    const hospital = (await catalog.listHospitals())[0]
    const admissionNo = `ZY${crypto.randomInt(1e6, 1e7)}`

    const admitted = await his('PUT', hospital.code, `/his/${hospital.code}/admissions/${admissionNo}`, {
      id_number: id,
      name: '王五',
      ward: '心内科病区',
      bed: '12',
      admitted_at: '2026-11-20T09:00:00+08:00',
      discharged_at: null,
      deposit_fen: 50000,
    })
    expect(admitted.status).toBe(201)
    const items = [
      {
        item_code: 'D001',
        name: '阿司匹林肠溶片',
        category: 'drug',
        unit: '盒',
        quantity: 2,
        unit_price_fen: 1500,
        amount_fen: 3000,
      },
      {
        item_code: 'D001',
        name: '阿司匹林肠溶片',
        category: 'drug',
        unit: '盒',
        quantity: -1,
        unit_price_fen: 1500,
        amount_fen: -1500,
      },
      {
        item_code: 'N010',
        name: '一级护理',
        category: 'nursing',
        unit: '小时',
        quantity: 0.5,
        unit_price_fen: 333,
        amount_fen: 167,
      },
    ]
    const day = await his('PUT', hospital.code, `/his/${hospital.code}/admissions/${admissionNo}/days/2026-11-20`, {
      items,
    })
    expect(day).toEqual({ status: 200, body: { date: '2026-11-20', item_count: 3, subtotal_fen: 1667 } })

    const admissions = await inpatient.listAdmissions(card.card_id)
    const mine = admissions.find((a) => a.admission_no === admissionNo)
    expect(Object.keys(mine)).toEqual(
      expect.arrayContaining([
        'hospital_id',
        'hospital_name',
        'admission_no',
        'ward',
        'bed',
        'admitted_at',
        'discharged_at',
        'balance_fen',
      ]),
    )
    expect(mine).toMatchObject({
      hospital_id: hospital.id,
      hospital_name: hospital.name,
      ward: '心内科病区',
      bed: '12',
      discharged_at: null,
    })

    const query = { hospitalId: hospital.id, cardId: card.card_id, admissionNo }
    const bill = await inpatient.getBill(query)
    expect(bill.admission).toMatchObject({
      hospital_id: hospital.id,
      admission_no: admissionNo,
      ward: '心内科病区',
      bed: '12',
      name_masked: '王*',
    })
    expect(bill.days).toHaveLength(1)
    expect(bill.days[0]).toMatchObject({ date: '2026-11-20', subtotal_fen: 1667 })
    expect(
      bill.days[0].items.map((i) => [i.item_code, i.category, Number(i.quantity), i.unit_price_fen, i.amount_fen]),
    ).toEqual(items.map((i) => [i.item_code, i.category, i.quantity, i.unit_price_fen, i.amount_fen]))
    expect([bill.total_fen, bill.prepaid_fen, bill.balance_fen]).toEqual([1667, 50000, 50000 - 1667])
    expect(mine.balance_fen).toBe(bill.balance_fen)

    // the light form the bill page reads: the same days and money without items, then a day's items in pages
    const summary = await inpatient.getBillSummary(query)
    expect(summary.days).toEqual([
      { date: '2026-11-20', item_count: 3, subtotal_fen: 1667, categories: bill.days[0].categories },
    ])
    expect([summary.total_fen, summary.prepaid_fen, summary.balance_fen]).toEqual([
      bill.total_fen,
      bill.prepaid_fen,
      bill.balance_fen,
    ])
    const first = await inpatient.getBillDay(Object.assign({ date: '2026-11-20', limit: 2 }, query))
    expect([first.items.length, first.next_offset, first.item_count]).toEqual([2, 2, 3])
    const rest = await inpatient.getBillDay(
      Object.assign({ date: '2026-11-20', offset: first.next_offset, limit: 2 }, query),
    )
    expect(first.items.concat(rest.items)).toEqual(bill.days[0].items)
    expect(rest.next_offset).toBe(null)
    expect(fenToYuan(bill.balance_fen)).toBe('483.33')

    // a wrong admission number and someone else's card look the same
    const wrong = await inpatient.getBill(Object.assign({}, query, { admissionNo: `${admissionNo}9` })).catch((e) => e)
    global.wx = createWx('contract-stranger')
    const foreign = await inpatient.getBill(query).catch((e) => e)
    expect([wrong.status, wrong.code]).toEqual([foreign.status, foreign.code])
    expect(wrong.status).toBe(404)
    global.wx = createWx('contract-inpatient')

    // top-up: paid through the stand-in as the page does in dev, then counted in prepaid_fen
    const deposit = await inpatient.topUpDeposit(Object.assign({}, query, { amountFen: 20000 }))
    expect(Object.keys(deposit)).toEqual(expect.arrayContaining(['deposit_id', 'out_trade_no', 'pay_params']))
    expect(deposit.pay_params.package).toMatch(/^prepay_id=/)
    expect(await pay({ outTradeNo: deposit.out_trade_no, payParams: deposit.pay_params })).toBe('paid')
    let after
    for (let i = 0; i < 20; i += 1) {
      after = await inpatient.getBill(query)
      if (after.prepaid_fen === 70000) break
      await new Promise((r) => setTimeout(r, 250))
    }
    expect([after.prepaid_fen, after.balance_fen]).toEqual([70000, 70000 - 1667])

    // the hospital sees the paid top-up on its deposit feed
    const feed = await his('GET', hospital.code, `/his/${hospital.code}/deposits`)
    expect(feed.status).toBe(200)
    expect(feed.body.deposits.map((d) => d.deposit_id)).toContain(deposit.deposit_id)
  })
})
