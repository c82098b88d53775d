const { createFakeWx, apiError } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const { qrMatrix } = require('../../miniprogram/utils/qr-draw')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }
const ev = (value) => ({ detail: { value } })

describe('claim a card', () => {
  test('the ID number is checked while typing, before any SMS is sent', async () => {
    const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN) }))
    const page = await renderPage('pages/cards/claim/index')
    const p = page.instance
    p.onName(ev('张三'))
    p.onPhone(ev('13800138000'))
    p.onIdNumber(ev('110105194912310021'))
    await settle()
    expect(text(page)).toContain('最后一位应为 X')
    await p.onSendCode()
    expect(fake.calls.requests.filter((r) => r.path === '/sms/codes')).toHaveLength(0)
    expect(fake.calls.toasts.pop()).toContain('最后一位应为 X')
    p.onIdNumber(ev('11010519491231002x'))
    await settle()
    expect(text(page)).toContain('身份证号格式正确')
    expect(p.data.idNumber).toBe('11010519491231002X')
  })

  test('SMS countdown, then the claim is sent and the new card shown', async () => {
    const fake = (global.wx = createFakeWx({
      routes: Object.assign({}, LOGIN, {
        'POST /sms/codes': { sent: true, retry_after: 60, dev_code: '123456' },
        'POST /cards': F.selfCard,
      }),
    }))
    const page = await renderPage('pages/cards/claim/index')
    const p = page.instance
    p.onName(ev(' 张三 '))
    p.onIdNumber(ev('11010519491231002X'))
    p.onPhone(ev('138 0013 8000'))
    await p.onSendCode()
    await settle()
    expect(fake.calls.requests.find((r) => r.path === '/sms/codes').data).toEqual({
      phone: '13800138000',
      purpose: 'claim_card',
    })
    expect(p.data.smsWait).toBe(60)
    expect(text(page)).toContain('60秒后重发')
    expect(text(page)).toContain('123456')
    await p.onSendCode() // still counting down: nothing sent
    expect(fake.calls.requests.filter((r) => r.path === '/sms/codes')).toHaveLength(1)
    p.onSmsCode(ev('123456'))
    await p.onSubmit()
    expect(fake.calls.toasts.pop()).toContain('同意') // the notice must be accepted
    p.onAgree(ev(['yes']))
    await p.onSubmit()
    expect(fake.calls.requests.find((r) => r.path === '/cards').data).toEqual({
      name: '张三',
      id_number: '11010519491231002X',
      phone: '13800138000',
      sms_code: '123456',
    })
    expect(fake.calls.redirects).toEqual([`/pages/cards/qrcode/index?card_id=${F.SELF_ID}`])
    p.onUnload()
  })

  test('a refused claim says why in Chinese', async () => {
    const fake = (global.wx = createFakeWx({
      routes: Object.assign({}, LOGIN, { 'POST /cards': apiError(409, 'already_claimed') }),
    }))
    const page = await renderPage('pages/cards/claim/index')
    const p = page.instance
    p.onName(ev('张三'))
    p.onIdNumber(ev('11010519491231002X'))
    p.onPhone(ev('13800138000'))
    p.onSmsCode(ev('123456'))
    p.onAgree(ev(['yes']))
    await p.onSubmit()
    expect(fake.calls.toasts.pop()).toBe('该身份证号已被其他微信账号领取为本人卡，可由其添加您为家人')
  })
})

describe('my cards', () => {
  test('own card first, family members after; empty and pull-to-refresh', async () => {
    let list = [F.selfCard, F.childCard]
    const fake = (global.wx = createFakeWx({ routes: Object.assign({}, LOGIN, { 'GET /cards': () => list }) }))
    const page = await renderPage('pages/cards/list/index')
    const t = text(page)
    expect(t.indexOf('张*')).toBeLessThan(t.indexOf('张*宝'))
    expect(t).toContain('本人')
    expect(t).toContain('子女')
    list = []
    await page.instance.onPullDownRefresh()
    await settle()
    expect(text(page)).toContain('还没有健康卡')
    expect(text(page)).toContain('领取本人电子健康卡')
    expect(fake.calls.requests.filter((r) => r.path === '/cards')).toHaveLength(2)
  })
})

describe('the QR code', () => {
  function canvasWx(routes) {
    const fake = createFakeWx({ routes })
    const painted = []
    const canvas = {
      width: 0,
      height: 0,
      getContext: () => {
        const frame = []
        painted.push(frame)
        return { scale: () => {}, fillRect: (x, y, w, h) => frame.push([x, y, w, h]), set fillStyle(v) {} }
      },
    }
    fake._selectorQuery = () => {
      const chain = {
        in: () => chain,
        select: () => chain,
        fields: () => chain,
        exec: (cb) => cb([{ node: canvas, width: 240, height: 240 }]),
      }
      return chain
    }
    fake.getWindowInfo = () => ({ pixelRatio: 2 })
    global.wx = fake
    return { fake, painted, canvas }
  }

  test('the dynamic code is drawn from its payload and redrawn on each refresh', async () => {
    const payloads = [`${F.SELF_ID}:0:${'1'.repeat(32)}`, `${F.SELF_ID}:0:${'2'.repeat(32)}`]
    let n = 0
    const { fake, painted, canvas } = canvasWx(
      Object.assign({}, LOGIN, {
        ['GET /cards/' + F.SELF_ID]: F.selfCard,
        ['GET /cards/' + F.SELF_ID + '/qrcode']: ({ query }) => ({
          payload: payloads[n++],
          kind: query.kind,
          expires_at: '2026-11-25T10:01:00+08:00',
          refresh_in: 42,
        }),
      }),
    )
    const page = await renderPage('pages/cards/qrcode/index', { card_id: F.SELF_ID })
    const dark = (p) => qrMatrix(p).flat().filter(Boolean).length
    expect(painted).toHaveLength(1)
    expect(painted[0].length - 1).toBe(dark(payloads[0])) // one background fill + one square per dark module
    expect(canvas.width).toBe(480) // device pixels
    expect(text(page)).toContain('42秒后自动刷新')
    expect(fake.calls.requests.find((r) => r.path.endsWith('/qrcode')).query).toEqual({
      kind: 'dynamic',
      format: 'json',
    })
    await page.instance.onRefreshCode()
    expect(painted).toHaveLength(2)
    expect(painted[1].length - 1).toBe(dark(payloads[1]))
    expect(page.instance.data.payload).toBe(payloads[1])
    page.instance.onShow()
    expect(fake.brightness).toBe(1) // bright for the scanner while shown
    page.instance.onUnload()
    expect(fake.brightness).toBe(0.5) // and the resident's own setting back
  })

  test('the static code hides behind a tap with a note that it only identifies', async () => {
    const { fake, painted } = canvasWx(
      Object.assign({}, LOGIN, {
        ['GET /cards/' + F.SELF_ID]: F.selfCard,
        ['GET /cards/' + F.SELF_ID + '/qrcode']: ({ query }) =>
          query.kind === 'static'
            ? { payload: `${F.SELF_ID}:1`, kind: 'static', expires_at: null, refresh_in: null }
            : {
                payload: `${F.SELF_ID}:0:${'3'.repeat(32)}`,
                kind: 'dynamic',
                expires_at: '2026-11-25T10:01:00+08:00',
                refresh_in: 60,
              },
      }),
    )
    const page = await renderPage('pages/cards/qrcode/index', { card_id: F.SELF_ID })
    fake.answerModals(false)
    await page.instance.onShowStatic()
    expect(page.instance.data.kind).toBe('dynamic')
    fake.answerModals(true)
    await page.instance.onShowStatic()
    await settle()
    expect(fake.calls.modals.pop().content).toContain('仅用于识别身份')
    expect(page.instance.data.payload).toBe(`${F.SELF_ID}:1`)
    expect(painted).toHaveLength(2)
    expect(text(page)).toContain('静态码仅用于识别身份，不能用于签到或支付')
    page.instance.onUnload()
  })

  test('reissuing the own card moves to the new card_id', async () => {
    const { fake } = canvasWx(
      Object.assign({}, LOGIN, {
        ['GET /cards/' + F.SELF_ID]: F.selfCard,
        ['GET /cards/' + F.SELF_ID + '/qrcode']: { payload: 'x', kind: 'dynamic', expires_at: null, refresh_in: 60 },
        ['POST /cards/' + F.SELF_ID + '/reissue']: Object.assign({}, F.selfCard, { card_id: 'c'.repeat(64) }),
      }),
    )
    const page = await renderPage('pages/cards/qrcode/index', { card_id: F.SELF_ID })
    expect(text(page)).toContain('补换卡号')
    await page.instance.onReissue()
    expect(fake.calls.redirects).toEqual([`/pages/cards/qrcode/index?card_id=${'c'.repeat(64)}`])
    page.instance.onUnload()
  })
})

test('who scanned my card and when', async () => {
  global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      ['GET /cards/' + F.SELF_ID + '/access-log']: [
        {
          id: 2,
          at: '2026-11-25T01:05:00+00:00',
          action: 'checkin',
          result: 'qr_reused',
          hospital: { id: 1, name: '市第一人民医院' },
          terminal: { id: 1, name: '门诊一楼 1号机' },
        },
        {
          id: 1,
          at: '2026-11-25T09:00:00+08:00',
          action: 'scan',
          result: 'ok',
          hospital: { id: 1, name: '市第一人民医院' },
          terminal: { id: 1, name: '门诊一楼 1号机' },
        },
      ],
    }),
  })
  const page = await renderPage('pages/cards/access-log/index', { card_id: F.SELF_ID })
  const t = text(page)
  expect(t).toContain('市第一人民医院 · 门诊一楼 1号机')
  expect(t).toContain('2026-11-25 09:05 · 扫码签到')
  expect(t).toContain('未通过：该二维码已使用过，请刷新后出示')
  expect(t).toContain('2026-11-25 09:00 · 扫码识别')
})
