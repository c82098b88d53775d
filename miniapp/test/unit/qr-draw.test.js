const { qrMatrix, paint } = require('../../miniprogram/utils/qr-draw')

const PAYLOAD = `${'ab'.repeat(32)}:0:${'0123456789abcdef'.repeat(2)}`

test('the matrix is a real QR code of the payload: finder patterns, size of its version', () => {
  const m = qrMatrix(PAYLOAD)
  const n = m.length
  expect((n - 17) % 4).toBe(0) // version v has 17 + 4v modules
  // the three finder patterns: 7x7 dark ring with a 3x3 dark centre
  ;[
    [0, 0],
    [0, n - 7],
    [n - 7, 0],
  ].forEach(([r0, c0]) => {
    for (let i = 0; i < 7; i += 1) {
      expect(m[r0][c0 + i] && m[r0 + 6][c0 + i] && m[r0 + i][c0] && m[r0 + i][c0 + 6]).toBe(true)
    }
    expect(m[r0 + 1][c0 + 1]).toBe(false)
    expect(m[r0 + 3][c0 + 3]).toBe(true)
  })
  expect(qrMatrix(PAYLOAD)).toEqual(m)
  expect(qrMatrix(PAYLOAD.replace(/.$/, 'e'))).not.toEqual(m)
})

test('painting fills one square per dark module inside a 4-module quiet zone', () => {
  const m = qrMatrix(PAYLOAD)
  const rects = []
  const ctx = {
    fillRect: (...a) => rects.push(a),
    set fillStyle(v) {
      rects.push(v)
    },
  }
  paint(ctx, m, 300)
  const dark = m.flat().filter(Boolean).length
  const squares = rects.filter((r) => Array.isArray(r) && r[2] < 300)
  expect(squares).toHaveLength(dark)
  const cell = 300 / (m.length + 8)
  expect(Math.min(...squares.map((r) => r[0]))).toBeCloseTo(4 * cell)
})
