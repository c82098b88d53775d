// The card owner's pages: who uses my card (谁在使用我的卡) and ending a link, changing the
// registered phone, the reissue button only where the caller may reissue, the phone_mismatch
// refusal with the registered phone masked, and the two link messages in the inbox.
const { createFakeWx, apiError, reply } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }
const ev = (value) => ({ detail: { value } })
const LINK_A = {
  link_id: 7,
  account_masked: '微信用户 ****a1b2',
  relation: 'parent',
  linked_at: '2026-11-20T02:30:00+00:00',
}
const LINK_B = {
  link_id: 9,
  account_masked: '微信用户 ****c3d4',
  relation: 'spouse',
  linked_at: '2026-11-24T09:00:00+08:00',
}
const routed = (routes) => createFakeWx({ routes: Object.assign({}, LOGIN, routes) })
const requestsTo = (fake, method, path) => fake.calls.requests.filter((r) => r.method === method && r.path === path)

describe('who uses my card', () => {
  function linksWx(initial) {
    let links = initial.slice()
    const fake = createFakeWx({
      routes: Object.assign({}, LOGIN, {
        'GET /cards': [F.selfCard, F.childCard],
        ['GET /cards/' + F.SELF_ID]: F.selfCard,
        ['GET /cards/' + F.SELF_ID + '/links']: () => links,
        ['DELETE /cards/' + F.SELF_ID + '/links/7']: () => {
          links = links.filter((l) => l.link_id !== 7)
          return reply(204)
        },
        ['DELETE /cards/' + F.SELF_ID + '/links/9']: apiError(404, 'link_not_found'),
      }),
    })
    global.wx = fake
    return fake
  }

  test('each linked account with its relation and date; ending one asks first, then it is gone', async () => {
    const fake = linksWx([LINK_A, LINK_B])
    const page = await renderPage('pages/cards/links/index', { card_id: F.SELF_ID })
    const t = text(page)
    expect(t).toContain('微信用户 ****a1b2')
    expect(t).toContain('以“父母”身份')
    expect(t).toContain('关联于 2026-11-20 10:30') // Shanghai time
    expect(t).toContain('微信用户 ****c3d4')
    expect(t).toContain('以“配偶”身份')
    expect(t).toContain('登记手机 138****8000')
    // the resident changes their mind in the dialog: nothing is sent
    fake.answerModals(false)
    page.querySelectorAll('.end-btn')[0].dispatchEvent('tap')
    await settle()
    expect(fake.calls.modals.pop().content).toContain('微信用户 ****a1b2')
    expect(requestsTo(fake, 'DELETE', `/cards/${F.SELF_ID}/links/7`)).toHaveLength(0)
    // confirmed: the link ends and the list is fetched again
    fake.answerModals(true)
    await page.instance.onEnd({ currentTarget: { dataset: { id: 7 } } })
    await settle()
    expect(requestsTo(fake, 'DELETE', `/cards/${F.SELF_ID}/links/7`)).toHaveLength(1)
    expect(fake.calls.toasts).toContain('已结束关联')
    expect(text(page)).not.toContain('****a1b2')
    expect(text(page)).toContain('****c3d4')
    // a link that ended meanwhile: the sentence, and the list is refreshed
    await page.instance.onEnd({ currentTarget: { dataset: { id: 9 } } })
    expect(fake.calls.toasts.pop()).toBe('该关联已结束或不存在，请刷新后查看')
    expect(requestsTo(fake, 'GET', `/cards/${F.SELF_ID}/links`)).toHaveLength(3)
  })

  test('nobody else: the empty state says so', async () => {
    linksWx([])
    const page = await renderPage('pages/cards/links/index', { card_id: F.SELF_ID })
    expect(text(page)).toContain('暂无其他账号使用您的卡')
  })

  test('opened from a message without a card: the own card is found among the cards', async () => {
    const fake = linksWx([LINK_A])
    const page = await renderPage('pages/cards/links/index', {})
    expect(text(page)).toContain('微信用户 ****a1b2')
    expect(page.instance.data.cardId).toBe(F.SELF_ID)
    expect(requestsTo(fake, 'GET', `/cards/${F.CHILD_ID}/links`)).toHaveLength(0)
    page.instance.onChangePhone()
    expect(fake.calls.navigations.pop()).toBe(`/pages/cards/phone/index?card_id=${F.SELF_ID}`)
  })

  test('the family list leads there too', async () => {
    const fake = (global.wx = routed({ 'GET /family': [] }))
    const page = await renderPage('pages/family/list/index')
    page.querySelectorAll('.who-uses')[0].dispatchEvent('tap')
    await settle()
    expect(fake.calls.navigations.pop()).toBe('/pages/cards/links/index')
  })

  test('no own card yet: said so, nothing asked about other cards', async () => {
    const fake = (global.wx = routed({ 'GET /cards': [F.childCard, F.parentCard] }))
    const page = await renderPage('pages/cards/links/index', {})
    expect(text(page)).toContain('您还没有领取本人的电子健康卡')
    expect(fake.calls.requests.filter((r) => r.path.endsWith('/links'))).toHaveLength(0)
  })

  test('reachable from the own card in the card list, and only from it', async () => {
    const fake = (global.wx = routed({ 'GET /cards': [F.selfCard, F.childCard, F.parentCard] }))
    const page = await renderPage('pages/cards/list/index')
    expect(page.querySelectorAll('.hc-own')).toHaveLength(1)
    const own = page.querySelectorAll('.hc-own')[0]
    expect(own.dom.textContent).toContain('谁在使用我的卡')
    const ownLinks = page.querySelectorAll('.hc-own .hc-link')
    expect(ownLinks).toHaveLength(2)
    ownLinks[0].dispatchEvent('tap')
    ownLinks[1].dispatchEvent('tap')
    await settle()
    expect(fake.calls.navigations).toEqual([
      `/pages/cards/links/index?card_id=${F.SELF_ID}`,
      `/pages/cards/phone/index?card_id=${F.SELF_ID}`,
    ])
  })
})

describe('changing the registered phone', () => {
  function phoneWx(put) {
    const fake = createFakeWx({
      routes: Object.assign({}, LOGIN, {
        ['GET /cards/' + F.SELF_ID]: F.selfCard,
        ['GET /cards/' + F.CHILD_ID]: F.childCard,
        'POST /sms/codes': { sent: true, retry_after: 60, dev_code: '654321' },
        ['PUT /cards/' + F.SELF_ID + '/phone']: put,
      }),
    })
    global.wx = fake
    return fake
  }

  test('the code goes to the new phone, counts down, and the change is sent with it', async () => {
    const fake = phoneWx(Object.assign({}, F.selfCard, { phone_masked: '139****1234' }))
    const page = await renderPage('pages/cards/phone/index', { card_id: F.SELF_ID })
    const p = page.instance
    expect(text(page)).toContain('当前手机 138****8000')
    await p.onSendCode() // no phone yet: nothing sent
    expect(requestsTo(fake, 'POST', '/sms/codes')).toHaveLength(0)
    p.onPhone(ev('139 0000 1234'))
    await p.onSendCode()
    await settle()
    expect(requestsTo(fake, 'POST', '/sms/codes')[0].data).toEqual({ phone: '13900001234', purpose: 'change_phone' })
    expect(text(page)).toContain('60秒后重发')
    await p.onSendCode()
    expect(requestsTo(fake, 'POST', '/sms/codes')).toHaveLength(1)
    await p.onSubmit()
    expect(fake.calls.toasts.pop()).toBe('请输入6位短信验证码')
    p.onSmsCode(ev('654321'))
    await p.onSubmit()
    const [put] = requestsTo(fake, 'PUT', `/cards/${F.SELF_ID}/phone`)
    expect(put.data).toEqual({ phone: '13900001234', sms_code: '654321' })
    expect(fake.calls.toasts.pop()).toBe('手机号已更换')
    expect(fake.calls.navigations.pop()).toBe('back')
    p.onUnload()
  })

  test('refusals are shown on the page: the same phone, a wrong code', async () => {
    let answer = apiError(409, 'same_phone')
    const fake = phoneWx(() => answer)
    const page = await renderPage('pages/cards/phone/index', { card_id: F.SELF_ID })
    const p = page.instance
    p.onPhone(ev('13800138000'))
    p.onSmsCode(ev('111111'))
    await p.onSubmit()
    await settle()
    expect(text(page)).toContain('新手机号与当前登记的手机号相同，无需更换')
    answer = apiError(400, 'invalid_sms_code', { attempts_left: 3 })
    await p.onSubmit()
    await settle()
    expect(text(page)).toContain('短信验证码不正确，还可再试3次')
    expect(fake.calls.navigations).toEqual([])
  })

  test("a family member's card: no form, the counter is named", async () => {
    const fake = phoneWx({})
    const page = await renderPage('pages/cards/phone/index', { card_id: F.CHILD_ID })
    expect(text(page)).toContain('请携带其身份证件到医院服务窗口办理')
    expect(text(page)).not.toContain('获取验证码')
    expect(page.querySelectorAll('.btn-primary')).toHaveLength(0)
    expect(requestsTo(fake, 'PUT', `/cards/${F.CHILD_ID}/phone`)).toHaveLength(0)
  })
})

describe('reissuing a card_id on the QR page', () => {
  function qrWx(card) {
    const fake = createFakeWx({
      routes: Object.assign({}, LOGIN, {
        ['GET /cards/' + card.card_id]: card,
        ['GET /cards/' + card.card_id + '/qrcode']: { payload: 'x', kind: 'dynamic', expires_at: null, refresh_in: 60 },
        ['POST /cards/' + card.card_id + '/reissue']: apiError(403, 'owner_only'),
      }),
    })
    global.wx = fake
    return fake
  }

  test.each([
    ['self', true, true, F.selfCard],
    ['none (a child nobody owns)', true, false, F.childCard],
    ['other (a parent with their own account)', false, false, F.parentCard],
  ])('owner %s: reissue shown %s, owner links shown %s', async (_, reissue, ownerLinks, card) => {
    qrWx(card)
    const page = await renderPage('pages/cards/qrcode/index', { card_id: card.card_id })
    const t = text(page)
    expect(t.includes('补换卡号')).toBe(reissue)
    expect(t.includes('谁在使用我的卡')).toBe(ownerLinks)
    expect(t.includes('更换登记手机号')).toBe(ownerLinks)
    page.instance.onUnload()
  })

  test('a refused reissue says only the holder may', async () => {
    const fake = qrWx(F.childCard)
    const page = await renderPage('pages/cards/qrcode/index', { card_id: F.CHILD_ID })
    await page.instance.onReissue()
    expect(fake.calls.toasts.pop()).toBe('这张卡已由持卡人本人领取，只有本人可以进行此操作')
    expect(fake.calls.redirects).toEqual([])
    page.instance.onUnload()
  })
})

describe('a card registered with another phone', () => {
  const MISMATCH = apiError(409, 'phone_mismatch', { phone_masked: '138****8000' })
  const SENTENCE = '该证件已登记手机号 138****8000，请使用该手机号接收验证码'

  test('claiming: the dialog and the field name the registered phone; the countdown is lifted', async () => {
    const fake = (global.wx = createFakeWx({
      routes: Object.assign({}, LOGIN, { 'POST /sms/codes': { sent: true, retry_after: 60 }, 'POST /cards': MISMATCH }),
    }))
    const page = await renderPage('pages/cards/claim/index')
    const p = page.instance
    p.onName(ev('张三'))
    p.onIdNumber(ev('11010519491231002X'))
    p.onPhone(ev('13900001111'))
    await p.onSendCode()
    p.onSmsCode(ev('123456'))
    p.onAgree(ev(['yes']))
    await p.onSubmit()
    await settle()
    expect(fake.calls.modals.pop()).toMatchObject({ content: SENTENCE, showCancel: false })
    expect(text(page)).toContain(SENTENCE)
    expect(p.data.smsWait).toBe(0)
    expect(p.data.smsCode).toBe('')
    expect(fake.calls.redirects).toEqual([])
    p.onUnload()
  })

  test('linking a family member: the same sentence', async () => {
    const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN, { 'POST /family': MISMATCH }) }))
    const page = await renderPage('pages/family/add/index')
    const p = page.instance
    p.onRelation(ev('2'))
    p.onName(ev('张国'))
    p.onIdNumber(ev('11010519491231002X'))
    p.onPhone(ev('13900001111'))
    p.onSmsCode(ev('123456'))
    await p.onSubmit()
    await settle()
    expect(fake.calls.modals.pop().content).toBe(SENTENCE)
    expect(text(page)).toContain(SENTENCE)
    expect(fake.calls.navigations).toEqual([])
    p.onUnload()
  })
})

test('messages: the own card linked by another account, and a link its owner ended', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /notifications': {
        items: [
          {
            id: 3,
            kind: 'card_linked',
            status: 'sent',
            page: 'pages/cards/links/index', // where the backend says the message leads
            created_at: '2026-11-25T08:00:00+08:00',
            payload: {
              account_masked: '微信用户 ****a1b2',
              relation: 'parent',
              linked_at: '2026-11-25T00:00:00+00:00',
            },
          },
          {
            id: 2,
            kind: 'card_link_ended',
            status: 'inbox',
            created_at: '2026-11-24T08:00:00+08:00',
            payload: { relation: 'child', ended_by: 'owner', ended_at: '2026-11-24T08:00:00+08:00' },
          },
        ],
        next_before: null,
        unread: 1,
      },
    }),
  }))
  const page = await renderPage('pages/me/messages/index')
  const t = text(page)
  expect(t).toContain('您的电子健康卡被 微信用户 ****a1b2 以“父母”身份关联（2026-11-25 08:00）')
  expect(t).toContain('您以“子女”身份关联的一张电子健康卡，已由持卡人本人结束关联')
  expect(t).toContain('不能再使用这张卡')
  const items = page.querySelectorAll('.list-item')
  items[1].dispatchEvent('tap') // nothing to open for an ended link
  items[0].dispatchEvent('tap')
  await settle()
  expect(fake.calls.navigations).toEqual(['/pages/cards/links/index'])
})
