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
const refusal = (promise) => promise.then(() => ({ status: 'not refused' }), (e) => e)
const setClock = (body) => fetch(`${BASE}/api/v1/dev/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

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
  return (await sms.sendCode(ph, purpose)).dev_code
}

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
  const aliceCard = await cards.claimCard({ name: '王丽', idNumber: aliceId, phone: phoneA, smsCode: await code(phoneA, 'claim_card') })
  expect(aliceCard).toMatchObject({ is_self: true, relation: 'self', owner: 'self', phone_masked: masked(phoneA) })
  expect(await cards.listCardLinks(aliceCard.card_id)).toEqual([])

  // bob tries to link alice with his own phone: refused, told which phone the code must go to
  as('bob')
  const phoneB = phone()
  const mismatch = await refusal(family.addMember({ name: '王丽', idNumber: aliceId, phone: phoneB, relation: 'parent', smsCode: await code(phoneB, 'add_family') }))
  expect([mismatch.status, mismatch.code, mismatch.details.phone_masked]).toEqual([409, 'phone_mismatch', masked(phoneA)])
  expect(mismatch.message).toBe(`该证件已登记手机号 ${masked(phoneA)}，请使用该手机号接收验证码`)
  expect(await family.listMembers()).toEqual([])

  // bob links his child (a new card nobody owns): he may reissue its card_id
  const child = await family.addMember({ name: '李小乐', idNumber: childId, phone: phoneD, relation: 'child', smsCode: await code(phoneD, 'add_family') })
  expect(child.card).toMatchObject({ is_self: false, relation: 'child', owner: 'none' })
  const reissued = await cards.reissueCard(child.card.card_id)
  expect(reissued.card_id).not.toBe(child.card.card_id)
  expect(reissued.owner).toBe('none')

  // the child, grown up, claims the card with another phone: refused with the registered one masked
  as('child')
  const phoneE = phone()
  const claimMismatch = await refusal(cards.claimCard({ name: '李小乐', idNumber: childId, phone: phoneE, smsCode: await code(phoneE, 'claim_card') }))
  expect([claimMismatch.status, claimMismatch.code, claimMismatch.details.phone_masked]).toEqual([409, 'phone_mismatch', masked(phoneD)])
  expect(claimMismatch.message).toContain(masked(phoneD))

  // the registered phones get their second codes once a minute has passed on the service clock
  await setClock({ now: new Date(Date.parse(await serviceNow()) + 61000).toISOString() })
  try {
    as('bob')
    const parent = await family.addMember({ name: '王丽', idNumber: aliceId, phone: phoneA, relation: 'parent', smsCode: await code(phoneA, 'add_family') })
    expect(parent.card).toMatchObject({ card_id: aliceCard.card_id, is_self: false, relation: 'parent', owner: 'other' })
    as('child')
    const childOwn = await cards.claimCard({ name: '李小乐', idNumber: childId, phone: phoneD, smsCode: await code(phoneD, 'claim_card') })
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
  const told = (await notifications.listNotifications()).filter((n) => n.kind === 'card_linked')
  expect(told).toHaveLength(1)
  expect(told[0].payload).toMatchObject({ account_masked: links[0].account_masked, relation: 'parent', linked_at: links[0].linked_at })

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
  expect([same.status, same.code, same.message]).toEqual([409, 'same_phone', '新手机号与当前登记的手机号相同，无需更换'])
  const badPhone = await refusal(cards.changeCardPhone(aliceCard.card_id, { phone: '12345', smsCode: '123456' }))
  expect([badPhone.status, badPhone.code]).toEqual([400, 'invalid_phone'])
  const changed = await cards.changeCardPhone(aliceCard.card_id, { phone: phoneC, smsCode: await code(phoneC, 'change_phone') })
  expect(changed).toMatchObject({ card_id: aliceCard.card_id, phone_masked: masked(phoneC), owner: 'self' })
  expect((await cards.getCard(aliceCard.card_id)).phone_masked).toBe(masked(phoneC))

  // from now on a link to her card needs the new phone
  as('carol')
  const phoneF = phone()
  const afterChange = await refusal(family.addMember({ name: '王丽', idNumber: aliceId, phone: phoneF, relation: 'sibling', smsCode: await code(phoneF, 'add_family') }))
  expect([afterChange.code, afterChange.details.phone_masked]).toEqual(['phone_mismatch', masked(phoneC)])

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
  const ended = (await notifications.listNotifications()).filter((n) => n.kind === 'card_link_ended')
  expect(ended).toHaveLength(1)
  expect(ended[0].payload).toMatchObject({ relation: 'parent', ended_by: 'owner' })
})
