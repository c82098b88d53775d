const { fenToYuan, yuanToFen } = require('../../miniprogram/utils/money')
const { checkIdNumber, checkDigit, checkPhone, checkName } = require('../../miniprogram/utils/identity')
const {
  formatDateTime,
  shanghaiDate,
  dateChip,
  formatCountdown,
  secondsUntil,
} = require('../../miniprogram/utils/time')

test('fen to yuan is exact integer arithmetic, returns and zero included', () => {
  expect(fenToYuan(0)).toBe('0.00')
  expect(fenToYuan(5)).toBe('0.05')
  expect(fenToYuan(1250)).toBe('12.50')
  expect(fenToYuan(123456789)).toBe('1234567.89')
  expect(fenToYuan(-2550)).toBe('-25.50')
  expect(fenToYuan(null)).toBe('')
  expect(fenToYuan(1.5)).toBe('')
})

test('yuan text to fen takes at most two decimals and nothing else', () => {
  expect(yuanToFen('12')).toBe(1200)
  expect(yuanToFen('12.5')).toBe(1250)
  expect(yuanToFen('0.01')).toBe(1)
  expect(yuanToFen('1000.10')).toBe(100010)
  expect(yuanToFen('0.1')).toBe(10)
  ;['', '12.345', '-1', 'abc', '1e3', '12.', '.5'].forEach((bad) => {
    if (bad === '12.') expect(yuanToFen(bad)).toBe(1200)
    else expect(yuanToFen(bad)).toBeNull()
  })
})

test('ID numbers: check digit, dates, regions, typing progress', () => {
  const today = new Date('2026-11-25T00:00:00Z')
  expect(checkDigit('11010519491231002')).toBe('X')
  expect(checkIdNumber('11010519491231002X', today).ok).toBe(true)
  expect(checkIdNumber('11010519491231002x', today).ok).toBe(true)
  const wrong = checkIdNumber('110105194912310021', today)
  expect(wrong.ok).toBe(false)
  expect(wrong.message).toContain('最后一位应为 X')
  expect(checkIdNumber('1101051949', today)).toMatchObject({ ok: false, partial: true })
  expect(checkIdNumber('99010519491231002X', today).message).toContain('行政区划')
  expect(checkIdNumber('110105194902300000', today).message).toContain('真实存在')
  const future = '110105' + '20301231' + '001'
  expect(checkIdNumber(future + checkDigit(future), today).message).toContain('未来')
  const zeroSeq = '110105' + '19900101' + '000'
  expect(checkIdNumber(zeroSeq + checkDigit(zeroSeq), today).message).toContain('顺序码')
})

test('phones and names', () => {
  expect(checkPhone('138 0013 8000')).toEqual({ ok: true, value: '13800138000' })
  expect(checkPhone('12800138000').ok).toBe(false)
  expect(checkName('张三').ok).toBe(true)
  expect(checkName('阿依古丽·买买提').ok).toBe(true)
  expect(checkName('张').ok).toBe(false)
  expect(checkName('张3').ok).toBe(false)
})

test('times are shown in Asia/Shanghai whatever the offset of the text', () => {
  expect(formatDateTime('2026-11-25T05:30:00+00:00')).toBe('2026-11-25 13:30')
  expect(formatDateTime('2026-11-25T13:30:00+08:00')).toBe('2026-11-25 13:30')
  expect(shanghaiDate(Date.parse('2026-11-25T17:00:00Z'))).toBe('2026-11-26')
  expect(shanghaiDate(Date.parse('2026-11-25T15:00:00Z'), 1)).toBe('2026-11-26')
  expect(shanghaiDate(Date.parse('2026-11-25T16:00:00Z'), 1)).toBe('2026-11-27')
  expect(dateChip('2026-11-26', '2026-11-26')).toEqual({ date: '2026-11-26', label: '11月26日', weekday: '今天' })
  expect(dateChip('2026-11-27', '2026-11-26').weekday).toBe('周五')
  expect(formatCountdown(605)).toBe('10:05')
  expect(secondsUntil('2026-11-25T13:30:00+08:00', Date.parse('2026-11-25T13:29:00+08:00'))).toBe(60)
  expect(secondsUntil('2026-11-25T13:30:00+08:00', Date.parse('2026-11-25T13:31:00+08:00'))).toBe(0)
})
