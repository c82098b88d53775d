const { createFakeWx } = require('../support/fake-wx')
const { renderPage, text } = require('../support/simulate')

const SELF = {
  card_id: 'a'.repeat(64),
  name_masked: '张*',
  id_masked: '1101**********002X',
  phone_masked: '138****8000',
  is_self: true,
  relation: 'self',
  status: 'active',
}

beforeEach(() => jest.resetModules())

test('home shows the own card and logs in first', async () => {
  const fake = createFakeWx({
    routes: { 'POST /auth/wx-login': { token: 't1', expires_in: 100, account_id: 1 }, 'GET /cards': [SELF] },
  })
  global.wx = fake
  const page = await renderPage('pages/home/index/index')
  expect(text(page)).toContain('张*')
  expect(fake.calls.logins).toBe(1)
})
