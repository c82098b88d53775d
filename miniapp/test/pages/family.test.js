const { createFakeWx, apiError, reply } = require('../support/fake-wx')
const { renderPage, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

const LOGIN = { 'POST /auth/wx-login': { token: 't', expires_in: 60, account_id: 1 } }
const ev = (value) => ({ detail: { value } })

function member(id, linkedAt, removableAt) {
  return { member_id: id, card: F.childCard, relation: 'child', linked_at: linkedAt, removable_at: removableAt }
}

test('members show the date from which they can be removed; a locked removal is explained with it', async () => {
  const locked = member(4, '2026-11-25T10:00:00+08:00', '2099-01-09T10:00:00+08:00')
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /family': [locked],
      'DELETE /family/4': apiError(409, 'removal_locked', { removable_at: '2099-01-09T10:00:00+08:00' }),
    }),
  }))
  const page = await renderPage('pages/family/list/index')
  const t = text(page)
  expect(t).toContain('已添加 1/10 位家人')
  expect(t).toContain('2099年1月9日起可解除绑定')
  await page.instance.onRemove({ currentTarget: { dataset: { id: 4 } } })
  await settle()
  const explained = fake.calls.modals.pop()
  expect(explained.title).toBe('暂不能解除')
  expect(explained.content).toContain('2099-01-09 10:00 起可解除')
})

test('a removable member is removed after confirmation and the list refreshed', async () => {
  let members = [member(5, '2026-09-01T10:00:00+08:00', '2026-10-16T10:00:00+08:00')]
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'GET /family': () => members,
      'DELETE /family/5': () => {
        members = []
        return reply(204)
      },
    }),
  }))
  const page = await renderPage('pages/family/list/index')
  expect(text(page)).toContain('可解除绑定')
  fake.answerModals(false)
  await page.instance.onRemove({ currentTarget: { dataset: { id: 5 } } })
  expect(fake.calls.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0)
  fake.answerModals(true)
  await page.instance.onRemove({ currentTarget: { dataset: { id: 5 } } })
  await settle()
  expect(fake.calls.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1)
  expect(text(page)).toContain('还没有添加家人')
})

test('adding a member: relation required, the code goes to the member phone, then the member is linked', async () => {
  const fake = (global.wx = createFakeWx({
    routes: Object.assign({}, LOGIN, {
      'POST /sms/codes': { sent: true, retry_after: 60 },
      'POST /family': ({ data }) =>
        data.sms_code === '000000'
          ? apiError(400, 'invalid_sms_code', { attempts_left: 4 })
          : member(9, '2026-11-25T10:00:00+08:00', '2027-01-09T10:00:00+08:00'),
    }),
  }))
  const page = await renderPage('pages/family/add/index')
  const p = page.instance
  p.onName(ev('张小宝'))
  p.onIdNumber(ev('110101201806010012'))
  p.onPhone(ev('13900139000'))
  await p.onSendCode()
  expect(fake.calls.toasts.pop()).toBe('请选择与家人的关系')
  p.onRelation(ev('1'))
  await p.onSendCode()
  expect(fake.calls.requests.find((r) => r.path === '/sms/codes').data).toEqual({
    phone: '13900139000',
    purpose: 'add_family',
  })
  await settle()
  expect(text(page)).toContain('子女')
  p.onSmsCode(ev('000000'))
  await p.onSubmit()
  expect(fake.calls.toasts.pop()).toBe('短信验证码不正确，还可再试4次')
  p.onSmsCode(ev('654321'))
  await p.onSubmit()
  expect(fake.calls.requests.filter((r) => r.path === '/family').pop().data).toEqual({
    name: '张小宝',
    id_number: '110101201806010012',
    phone: '13900139000',
    relation: 'child',
    sms_code: '654321',
  })
  expect(fake.calls.navigations).toEqual(['back'])
  p.onUnload()
})
