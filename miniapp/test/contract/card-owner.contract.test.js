// The card owner's endpoints through the mini-program's services against the real backend: who
// uses my card and ending a link, the owner's phone change, the refusals that protect a card
// (phone_mismatch with the registered phone masked, owner_only, same_phone) and the messages
// that tell the owner of a new link and the linking account of its end.
const path = require('path')
const { createWx, idNumber, phone } = require('./wx-shim')

const MP = path.resolve(__dirname, '../../miniprogram')
const config = require(path.join(MP, 'config'))
const sms = require(path.join(MP, 'services/sms'))
const cards = require(path.join(MP, 'services/cards'))
const family = require(path.join(MP, 'services/family'))
const notifications = require(path.join(MP, 'services/notifications'))

const BASE = process.env.EHEALTH_CONTRACT_BASE
const keys = (o) => Object.keys(o).sort()
const masked = (ph) => `${ph.slice(0, 3)}****${ph.slice(7)}`
const refusal = (promise) =>
  promise.then(
    () => ({ status: 'not refused' }),
    (e) => e,
  )
const JSON_HEADERS = { 'content-type': 'application/json' }
const setClock = (body) =>
  fetch(`${BASE}/api/v1/dev/clock`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body) })

async function serviceNow() {
  return (await (await fetch(`${BASE}/api/v1/dev/clock`)).json()).now
}

// one wx per WeChat user; `as(user)` switches the services to that user
const users = {}
function as(user) {
  users[user] = users[user] || createWx(`card-owner-${user}`)
  global.wx = users[user]
}

async function code(ph, purpose) {
  return (await sms.sendSmsCode(ph, purpose)).dev_code
}

// a link (POST /family) of the person `name`/`id` with the code sent to `ph`
async function link(name, id, ph, relation) {
  return family.addFamilyMember({ name, idNumber: id, phone: ph, relation, smsCode: await code(ph, 'add_family') })
}

async function claim(name, id, ph) {
  return cards.claimCard({ name, idNumber: id, phone: ph, smsCode: await code(ph, 'claim_card') })
}

// [status, code, phone_masked] of a refusal
const why = (e) => [e.status, e.code, e.details && e.details.phone_masked]

beforeAll(() => {
  config.set({ apiBase: `${BASE}/api/v1`, devPayments: true })
})

test('who uses my card, ending a link, changing the phone, and the refusals that guard a card', async () => {
  const phoneA = phone()
  const aliceId = idNumber()
  const childId = idNumber(2016)
  const phoneD = phone()

  // alice claims her own card
  as('alice')
  const aliceCard = await claim('王丽', aliceId, phoneA)
  expect(aliceCard).toMatchObject({ is_self: true, relation: 'self', owner: 'self', phone_masked: masked(phoneA) })
  expect(await cards.listCardLinks(aliceCard.card_id)).toEqual([])

  // bob tries to link alice with his own phone: refused, told which phone the code must go to
  as('bob')
  const phoneB = phone()
  const mismatch = await refusal(link('王丽', aliceId, phoneB, 'parent'))
  expect(why(mismatch)).toEqual([409, 'phone_mismatch', masked(phoneA)])
  expect(mismatch.message).toBe(`该证件已登记手机号 ${masked(phoneA)}，请使用该手机号接收验证码`)
  expect(await family.listFamily()).toEqual([])

  // bob links his child (a new card nobody owns): he may reissue its card_id
  const child = await link('李小乐', childId, phoneD, 'child')
  expect(child.card).toMatchObject({ is_self: false, relation: 'child', owner: 'none' })
  const reissued = await cards.reissueCard(child.card.card_id)
  expect(reissued.card_id).not.toBe(child.card.card_id)
  expect(reissued.owner).toBe('none')

  // the child, grown up, claims the card with another phone: refused with the registered one masked
  as('child')
  const phoneE = phone()
  const claimMismatch = await refusal(claim('李小乐', childId, phoneE))
  expect(why(claimMismatch)).toEqual([409, 'phone_mismatch', masked(phoneD)])
  expect(claimMismatch.message).toContain(masked(phoneD))

  // the registered phones get their second codes once a minute has passed on the service clock
  await setClock({ now: new Date(Date.parse(await serviceNow()) + 61000).toISOString() })
  try {
    as('bob')
    const parent = await link('王丽', aliceId, phoneA, 'parent')
    expect(parent.card).toMatchObject({ card_id: aliceCard.card_id, is_self: false, owner: 'other' })
    expect(parent.relation).toBe('parent')
    as('child')
    const childOwn = await claim('李小乐', childId, phoneD)
    expect(childOwn).toMatchObject({ card_id: reissued.card_id, is_self: true, owner: 'self' })
  } finally {
    await setClock({})
  }

  // the child now owns the card and sees bob's link to it (made before the claim)
  const childLinks = await cards.listCardLinks(reissued.card_id)
  expect(childLinks).toHaveLength(1)
  expect(childLinks[0].relation).toBe('child')

  // alice sees bob, as bob named her, and was told of the link
  as('alice')
  const links = await cards.listCardLinks(aliceCard.card_id)
  expect(links).toHaveLength(1)
  expect(keys(links[0])).toEqual(['account_masked', 'link_id', 'linked_at', 'relation'])
  expect(links[0].relation).toBe('parent')
  expect(links[0].account_masked).toMatch(/^微信用户 \*{4}\S{4}$/)
  expect(Number.isNaN(Date.parse(links[0].linked_at))).toBe(false)
  const told = (await notifications.listNotifications()).items.filter((n) => n.kind === 'card_linked')
  expect(told).toHaveLength(1)
  const { account_masked: accountMasked, linked_at: linkedAt } = links[0]
  expect(told[0].payload).toMatchObject({ account_masked: accountMasked, relation: 'parent', linked_at: linkedAt })

  // bob holds a link, not the card: the owner's endpoints refuse him
  as('bob')
  const bobCards = await cards.listCards()
  expect(bobCards.find((c) => c.card_id === aliceCard.card_id).owner).toBe('other')
  expect(bobCards.find((c) => c.card_id === reissued.card_id).owner).toBe('other')
  const notMine = await refusal(cards.listCardLinks(aliceCard.card_id))
  expect([notMine.status, notMine.code]).toEqual([404, 'not_found'])
  const notMineToEnd = await refusal(cards.endCardLink(aliceCard.card_id, links[0].link_id))
  expect(notMineToEnd.status).toBe(404)
  const reissueRefused = await refusal(cards.reissueCard(aliceCard.card_id))
  expect([reissueRefused.status, reissueRefused.code]).toEqual([403, 'owner_only'])
  expect(reissueRefused.message).toBe('这张卡已由持卡人本人领取，只有本人可以进行此操作')
  const childReissueRefused = await refusal(cards.reissueCard(reissued.card_id))
  expect([childReissueRefused.status, childReissueRefused.code]).toEqual([403, 'owner_only'])
  const phoneRefused = await refusal(cards.changeCardPhone(aliceCard.card_id, { phone: phone(), smsCode: '123456' }))
  expect([phoneRefused.status, phoneRefused.code]).toEqual([403, 'owner_only'])

  // alice moves her card to a new phone, proven by a code sent to that phone
  as('alice')
  const phoneC = phone()
  const same = await refusal(cards.changeCardPhone(aliceCard.card_id, { phone: phoneA, smsCode: '123456' }))
  expect([same.status, same.code, same.message]).toEqual([
    409,
    'same_phone',
    '新手机号与当前登记的手机号相同，无需更换',
  ])
  const badPhone = await refusal(cards.changeCardPhone(aliceCard.card_id, { phone: '12345', smsCode: '123456' }))
  expect([badPhone.status, badPhone.code]).toEqual([400, 'invalid_phone'])
  const changeCode = await code(phoneC, 'change_phone')
  const changed = await cards.changeCardPhone(aliceCard.card_id, { phone: phoneC, smsCode: changeCode })
  expect(changed).toMatchObject({ card_id: aliceCard.card_id, phone_masked: masked(phoneC), owner: 'self' })
  expect((await cards.getCard(aliceCard.card_id)).phone_masked).toBe(masked(phoneC))

  // from now on a link to her card needs the new phone
  as('carol')
  const phoneF = phone()
  const afterChange = await refusal(link('王丽', aliceId, phoneF, 'sibling'))
  expect(why(afterChange)).toEqual([409, 'phone_mismatch', masked(phoneC)])

  // alice ends bob's link at once (no 45-day lock for the owner); bob loses the card and is told
  as('alice')
  expect(await cards.endCardLink(aliceCard.card_id, links[0].link_id)).toBeNull()
  expect(await cards.listCardLinks(aliceCard.card_id)).toEqual([])
  const again = await refusal(cards.endCardLink(aliceCard.card_id, links[0].link_id))
  expect([again.status, again.code]).toEqual([404, 'link_not_found'])
  as('bob')
  expect((await cards.listCards()).map((c) => c.card_id)).not.toContain(aliceCard.card_id)
  const gone = await refusal(cards.getCard(aliceCard.card_id))
  expect(gone.status).toBe(404)
  const ended = (await notifications.listNotifications()).items.filter((n) => n.kind === 'card_link_ended')
  expect(ended).toHaveLength(1)
  expect(ended[0].payload).toMatchObject({ relation: 'parent', ended_by: 'owner' })
})
