// Outpatient charges through the mini-program's services against the real backend: the hospital
// pushes two charges (signed with its dev intake secret), the resident lists them, pays one
// selection through the stand-in as the page does in dev, and sees the hospital's guidance once it
// acknowledges; a selection with a stale version is refused.
const crypto = require('crypto')
const path = require('path')
const { createWx, idNumber, phone, hisRequest } = require('./wx-shim')

const MP = path.resolve(__dirname, '../../miniprogram')
const config = require(path.join(MP, 'config'))
const sms = require(path.join(MP, 'services/sms'))
const cards = require(path.join(MP, 'services/cards'))
const catalog = require(path.join(MP, 'services/catalog'))
const outpatient = require(path.join(MP, 'services/outpatient'))
const { pay } = require(path.join(MP, 'utils/pay'))
const { paymentRequest } = require(path.join(MP, 'miniprogram_npm/ehealth-shared/charges.js'))

const BASE = process.env.EHEALTH_CONTRACT_BASE
const his = hisRequest

function push(id, items) {
  return {
    id_number: id,
    name: '王五',
    department: '呼吸内科',
    doctor: '李建国',
    ordered_at: '2026-11-20T09:10:00+08:00',
    items,
    total_fen: items.reduce((s, i) => s + i.amount_fen, 0),
  }
}

const DRUG = {
  item_code: 'D1',
  name: '阿莫西林胶囊',
  category: 'drug',
  unit: '盒',
  quantity: 2,
  unit_price_fen: 1250,
  amount_fen: 2500,
}
const LAB = {
  item_code: 'L1',
  name: '血常规',
  category: 'lab',
  unit: '次',
  quantity: 1,
  unit_price_fen: 2000,
  amount_fen: 2000,
}

describe('outpatient charges', () => {
  beforeAll(() => {
    config.set({ apiBase: `${BASE}/api/v1`, devPayments: true })
  })

  test('pushed, listed, a stale version refused, paid through the stand-in, acknowledged with guidance', async () => {
    global.wx = createWx('contract-outpatient')
    const id = idNumber()
    const ph = phone()
    const code = (await sms.sendSmsCode(ph, 'claim_card')).dev_code
    const card = await cards.claimCard({ name: '王五', idNumber: id, phone: ph, smsCode: code })
    const hospital = (await catalog.listHospitals())[0]
    const no = `CF${crypto.randomInt(1e6, 1e7)}`
    expect((await his('PUT', hospital.code, `/his/${hospital.code}/charges/${no}A`, push(id, [DRUG]))).status).toBe(201)
    expect((await his('PUT', hospital.code, `/his/${hospital.code}/charges/${no}B`, push(id, [LAB]))).status).toBe(201)

    const unpaid = await outpatient.listCharges(card.card_id, 'unpaid')
    expect(unpaid.map((c) => c.charge_no).sort()).toEqual([`${no}A`, `${no}B`])
    expect(Object.keys(unpaid[0])).toEqual(
      expect.arrayContaining([
        'charge_id',
        'hospital_id',
        'hospital_name',
        'charge_no',
        'department',
        'doctor',
        'ordered_at',
        'items',
        'total_fen',
        'pay_group',
        'insurance',
        'status',
        'version',
        'paid_at',
        'guide',
        'receipt_no',
      ]),
    )
    const selected = unpaid.map((c) => c.charge_id)
    // the hospital changes one after the resident looked: refused, nothing taken
    const changed = await his('PUT', hospital.code, `/his/${hospital.code}/charges/${no}A`, push(id, [DRUG, LAB]))
    expect(changed.body.version).toBe(2)
    const stale = await outpatient.payCharges(paymentRequest(selected, unpaid, card.card_id)).catch((e) => e)
    expect([stale.status, stale.code]).toEqual([409, 'charge_changed'])

    const fresh = await outpatient.listCharges(card.card_id, 'unpaid')
    const started = await outpatient.payCharges(paymentRequest(selected, fresh, card.card_id))
    expect(started.amount_fen).toBe(4500 + 2000)
    expect(started.pay_params.package).toMatch(/^prepay_id=/)
    expect(await pay({ outTradeNo: started.out_trade_no, payParams: started.pay_params })).toBe('paid')
    const ack = await his('POST', hospital.code, `/his/${hospital.code}/charges/ack`, {
      charges: [{ charge_no: `${no}A`, receipt_no: 'R1', guide: '请到门诊药房3号窗口取药' }],
    })
    expect(ack.body.acknowledged).toEqual([`${no}A`])
    const paid = await outpatient.listCharges(card.card_id, 'paid')
    const byNo = Object.fromEntries(paid.map((c) => [c.charge_no, c]))
    expect(byNo[`${no}A`]).toMatchObject({ status: 'acknowledged', guide: '请到门诊药房3号窗口取药', receipt_no: 'R1' })
    expect(byNo[`${no}B`]).toMatchObject({ status: 'paid', guide: null })
    expect(await outpatient.listCharges(card.card_id, 'unpaid')).toEqual([])
  })
})
