// Bodies shaped as the service answers them (see SPEC's HTTP contract); the contract test checks
// the same shapes against the real backend.
const SELF_ID = 'a'.repeat(64)
const CHILD_ID = 'b'.repeat(64)

const selfCard = {
  card_id: SELF_ID,
  name_masked: '张*',
  id_masked: '1101**********002X',
  phone_masked: '138****8000',
  is_self: true,
  relation: 'self',
  owner: 'self',
  status: 'active',
}
// a child's card made by this account's family link: nobody owns it
const childCard = {
  card_id: CHILD_ID,
  name_masked: '张*宝',
  id_masked: '1101**********0012',
  phone_masked: '139****9000',
  is_self: false,
  relation: 'child',
  owner: 'none',
  status: 'active',
}
// a parent who claimed their own card and was linked by this account
const PARENT_ID = 'd'.repeat(64)
const parentCard = {
  card_id: PARENT_ID,
  name_masked: '张*国',
  id_masked: '1101**********0035',
  phone_masked: '137****7000',
  is_self: false,
  relation: 'parent',
  owner: 'other',
  status: 'active',
}

function schedule(overrides) {
  return Object.assign(
    {
      id: 11,
      hospital_id: 1,
      department_id: 2,
      doctor: { id: 3, name: '王医生', title: '主任医师' },
      date: '2026-11-27',
      start: '08:00',
      end: '08:30',
      capacity: 10,
      referral_quota: 0,
      remaining: 4,
      fee_fen: 2550,
      release_at: '2026-11-20T13:00:00+08:00',
      referral_release_at: '2026-11-17T13:00:00+08:00',
      status: 'open',
    },
    overrides,
  )
}

function bookingBody(overrides) {
  return Object.assign(
    {
      id: 21,
      status: 'confirmed',
      visit_number: 3,
      card_id: SELF_ID,
      kind: 'ordinary',
      amount_fen: 2550,
      schedule: {
        id: 11,
        date: '2026-11-27',
        start: '08:00',
        end: '08:30',
        hospital: { id: 1, name: '市第一人民医院' },
        department: { id: 2, name: '心内科' },
        doctor: { id: 3, name: '王医生', title: '主任医师' },
      },
      out_trade_no: 'EH20261125100000abcdef1234',
      created_at: '2026-11-25T10:00:00+08:00',
      cancelled_at: null,
      cancel_reason: null,
      cancellable_until: '2099-11-27T00:00:00+08:00',
      refund: null,
    },
    overrides,
  )
}

const bill = {
  admission: {
    hospital_id: 1,
    admission_no: 'ZY2026001',
    ward: '心内科病区',
    bed: '12',
    admitted_at: '2026-11-20T09:00:00+08:00',
    discharged_at: null,
    name_masked: '张*',
  },
  days: [
    {
      date: '2026-11-20',
      subtotal_fen: 12345,
      items: [
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
          item_code: 'B001',
          name: '普通床位费',
          category: 'bed',
          unit: '天',
          quantity: 1,
          unit_price_fen: 9345,
          amount_fen: 9345,
        },
      ],
    },
    {
      date: '2026-11-21',
      subtotal_fen: -1500,
      items: [
        {
          item_code: 'D001',
          name: '阿司匹林肠溶片',
          category: 'drug',
          unit: '盒',
          quantity: -1,
          unit_price_fen: 1500,
          amount_fen: -1500,
        },
      ],
    },
  ],
  total_fen: 10845,
  prepaid_fen: 100000,
  balance_fen: 89155,
}

// the light form of the same bill: the summary (days without items) and a day's page of items
const billSummary = Object.assign({}, bill, {
  days: bill.days.map((d) => ({
    date: d.date,
    item_count: d.items.length,
    subtotal_fen: d.subtotal_fen,
    categories: [],
  })),
})
function billDay(date, { offset = 0, limit = 100 } = {}) {
  const day = bill.days.find((d) => d.date === date)
  const items = day.items.slice(offset, offset + limit)
  const next = offset + items.length
  return {
    date,
    item_count: day.items.length,
    subtotal_fen: day.subtotal_fen,
    categories: [],
    items,
    offset,
    limit,
    next_offset: next < day.items.length ? next : null,
  }
}

module.exports = {
  SELF_ID,
  CHILD_ID,
  PARENT_ID,
  selfCard,
  childCard,
  parentCard,
  schedule,
  bookingBody,
  bill,
  billSummary,
  billDay,
}
