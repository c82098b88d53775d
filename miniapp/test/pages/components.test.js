const { createFakeWx } = require('../support/fake-wx')
const { renderComponent, settle, text } = require('../support/simulate')
const F = require('../support/fixtures')

beforeEach(() => {
  global.wx = createFakeWx()
})

test('state-view: loading, error with retry, empty, then the content', async () => {
  const view = renderComponent('components/state-view/index', { status: 'loading' })
  expect(text(view)).toBe('加载中…')
  view.setData({ status: 'error', message: '网络连接失败，请检查网络后重试' })
  await settle()
  expect(text(view)).toContain('网络连接失败')
  const retried = []
  view.addEventListener('retry', () => retried.push(true))
  view.querySelector('.retry').dispatchEvent('tap')
  await settle()
  expect(retried).toHaveLength(1)
  view.setData({ status: 'empty', emptyText: '暂无消息' })
  await settle()
  expect(text(view)).toContain('暂无消息')
  view.setData({ status: 'ready' })
  await settle()
  expect(text(view)).toBe('')
})

test('card-picker: marks the chosen card and reports a tap', async () => {
  const picker = renderComponent('components/card-picker/index', {
    cards: [F.selfCard, F.childCard],
    value: F.CHILD_ID,
  })
  await settle()
  expect(text(picker)).toContain('张*本人')
  expect(text(picker)).toContain('张*宝子女')
  expect(picker.instance.data.items.map((i) => i.selected)).toEqual([false, true])
  const picked = []
  picker.addEventListener('change', (e) => picked.push(e.detail.cardId))
  picker.querySelectorAll('.option')[0].dispatchEvent('tap')
  await settle()
  expect(picked).toEqual([F.SELF_ID])
})
